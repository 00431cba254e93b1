// Winograd F(4x4, 3x3) transforms for the avx2 path (32-byte vectors); body in
// ../common/winograd_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../winograd_ukernels.h"

namespace convkit::isa {
namespace avx2 {
constexpr int kVectorBytes = 32;
#include "../common/simd.h"
#include "../common/winograd_impl.h"
}  // namespace avx2

WinogradUkernels winogradUkernels__avx2() { return avx2::winogradUkernels(); }

}  // namespace convkit::isa
