// Elementwise microkernels for the avx512 path (64-byte vectors); body in ../common/elementwise_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../elementwise_ukernels.h"

namespace convkit::isa {
namespace avx512 {
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
#include "../common/elementwise_impl.h"
}  // namespace avx512

ElementwiseUkernels elementwiseUkernels__avx512() { return avx512::elementwiseUkernels(); }

}  // namespace convkit::isa
