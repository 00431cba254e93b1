// Pooling microkernels for the generic path (16-byte vectors); body in ../common/pool_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../pool_ukernels.h"

namespace convkit::isa {
namespace generic {
constexpr int kVectorBytes = 16;
#include "../common/simd.h"
#include "../common/pool_impl.h"
}  // namespace generic

PoolUkernels poolUkernels__generic() { return generic::poolUkernels(); }

}  // namespace convkit::isa
