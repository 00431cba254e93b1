// Rotation kernels for 4, 8 and 16 channels per group, avx512 path (16 lanes = 4 128-bit
// blocks); body in ../common/conv_grouped_rotate_impl.h. In-lane rotations by vpermilps, block
// permutations by vshuff32x4 (one instruction each, immediate operands).
#include <cstring>
#include <type_traits>

#include "../conv_ukernels.h"

#define CONVKIT_CONV_VL 16
namespace convkit::isa::avx512_rotate {

typedef float vf __attribute__((vector_size(64)));
typedef int vi __attribute__((vector_size(64)));
#define CONVKIT_LANES16(f)                                                                    \
  vi { f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7), f(8), f(9), f(10), f(11), f(12), f(13), \
       f(14), f(15) }
// Lane 4k+o <- lane 4k+(o+B)%4.
template <int B>
static inline vf inlane(vf v) {
#define CONVKIT_INLANE(i) (((i) & ~3) | (((i) + B) & 3))
  return __builtin_shuffle(v, CONVKIT_LANES16(CONVKIT_INLANE));
#undef CONVKIT_INLANE
}
// 128-bit block h <- block h^A.
template <int A>
static inline vf blocks(vf v) {
#define CONVKIT_BLOCKS(i) (((((i) >> 2) ^ A) << 2) | ((i) & 3))
  return __builtin_shuffle(v, CONVKIT_LANES16(CONVKIT_BLOCKS));
#undef CONVKIT_BLOCKS
}
#undef CONVKIT_LANES16
// Output pixels per strip: 8 accumulators + 12 weights + 4 rotations of 32 zmm.
constexpr int kStrip = 8;

#include "../common/conv_grouped_rotate_impl.h"

}  // namespace convkit::isa::avx512_rotate

namespace convkit::isa {

void conv_grouped_rotate_forward__avx512(const ConvGroupedShape* s, const float* x,
                                         const float* w4, const float* bias,
                                         const float* residual, int activation, float* y,
                                         int64_t row0, int64_t row1) {
  avx512_rotate::forwardRotate(s, x, w4, bias, residual, activation, y, row0, row1);
}

void conv_grouped_rotate_backward_weights__avx512(const ConvGroupedShape* s, const float* x,
                                                  const float* dy, float* dw4, float* dbias,
                                                  int64_t row0, int64_t row1) {
  avx512_rotate::backwardWeightsRotate(s, x, dy, dw4, dbias, row0, row1);
}

}  // namespace convkit::isa
