// Pooling microkernels for the avx512 path (64-byte vectors); body in ../common/pool_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../pool_ukernels.h"

namespace convkit::isa {
namespace avx512 {
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
#include "../common/pool_impl.h"
}  // namespace avx512

PoolUkernels poolUkernels__avx512() { return avx512::poolUkernels(); }

}  // namespace convkit::isa
