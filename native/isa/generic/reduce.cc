// Reduce microkernels for the generic path (16-byte vectors); body in ../common/reduce_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../reduce_ukernels.h"

namespace convkit::isa {
namespace generic {
constexpr int kVectorBytes = 16;
#include "../common/simd.h"
#include "../common/reduce_impl.h"
}  // namespace generic

ReduceUkernels reduceUkernels__generic() { return generic::reduceUkernels(); }

}  // namespace convkit::isa
