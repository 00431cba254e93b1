// Reduce microkernels for the avx2 path (32-byte vectors); body in ../common/reduce_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../reduce_ukernels.h"

namespace convkit::isa {
namespace avx2 {
constexpr int kVectorBytes = 32;
#include "../common/simd.h"
#include "../common/reduce_impl.h"
}  // namespace avx2

ReduceUkernels reduceUkernels__avx2() { return avx2::reduceUkernels(); }

}  // namespace convkit::isa
