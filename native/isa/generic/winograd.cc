// Winograd F(4x4, 3x3) transforms for the generic path (16-byte vectors); body in
// ../common/winograd_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../winograd_ukernels.h"

namespace convkit::isa {
namespace generic {
constexpr int kVectorBytes = 16;
#include "../common/simd.h"
#include "../common/winograd_impl.h"
}  // namespace generic

WinogradUkernels winogradUkernels__generic() { return generic::winogradUkernels(); }

}  // namespace convkit::isa
