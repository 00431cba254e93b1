// Winograd F(4x4, 3x3) transforms for the avx512 path (64-byte vectors); body in
// ../common/winograd_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../winograd_ukernels.h"

namespace convkit::isa {
namespace avx512 {
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
#include "../common/winograd_impl.h"
}  // namespace avx512

WinogradUkernels winogradUkernels__avx512() { return avx512::winogradUkernels(); }

}  // namespace convkit::isa
