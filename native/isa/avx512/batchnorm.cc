// Batch-norm row kernels for the avx512 path (64-byte vectors); body in
// ../common/batchnorm_impl.h.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../batchnorm_ukernels.h"

namespace convkit::isa::avx512 {
// Vector sigmoid for the fused silu (its own vfloat typedef: the same vector type).
namespace math {
constexpr int kLanes = 16;
#include "../common/activation_math.h"
}  // namespace math
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
#include "../common/batchnorm_impl.h"
#include "../common/batchnorm_excite_impl.h"
}  // namespace convkit::isa::avx512

namespace convkit::isa {
CONVKIT_BN_ISA_ENTRY_POINTS(avx512)
CONVKIT_BN_EXCITE_ISA_ENTRY_POINTS(avx512)
}  // namespace convkit::isa
