// Pooling microkernels for the avx512 path (64-byte vectors); body in ../common/pool_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../pool_ukernels.h"

namespace convkit::isa {
namespace avx512 {
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
#include "../common/pool_impl.h"
}  // namespace avx512

PoolUkernels poolUkernels__avx512() { return avx512::poolUkernels(); }

}  // namespace convkit::isa
