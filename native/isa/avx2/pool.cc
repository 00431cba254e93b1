// Pooling microkernels for the avx2 path (32-byte vectors); body in ../common/pool_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../pool_ukernels.h"

namespace convkit::isa {
namespace avx2 {
constexpr int kVectorBytes = 32;
#include "../common/simd.h"
#include "../common/pool_impl.h"
}  // namespace avx2

PoolUkernels poolUkernels__avx2() { return avx2::poolUkernels(); }

}  // namespace convkit::isa
