// 4x4-channel-group convolution, avx2 path (8 lanes = 2 groups); body in
// ../common/conv_grouped4_impl.h, rotations by the in-lane vpermilps.
#include <cstring>

#include "../conv_ukernels.h"

#define CONVKIT_CONV_VL 8
namespace convkit::isa::avx2_conv4 {

typedef float vf __attribute__((vector_size(32)));
typedef int vi __attribute__((vector_size(32)));
// A constant in-lane shuffle: GCC emits one vpermilps with an immediate.
template <int R>
static inline vf rot(vf v) {
  return __builtin_shuffle(v, vi{
      0 + ((R + 0) & 3), 0 + ((R + 1) & 3), 0 + ((R + 2) & 3), 0 + ((R + 3) & 3),
      4 + ((R + 0) & 3), 4 + ((R + 1) & 3), 4 + ((R + 2) & 3), 4 + ((R + 3) & 3)});
}
// Output pixels per strip: 16 ymm cannot hold the weights too; they come from L1.
constexpr int kStrip = 4;

#include "../common/conv_grouped4_impl.h"

}  // namespace convkit::isa::avx2_conv4

namespace convkit::isa {

void conv_grouped4_forward__avx2(const ConvGroupedShape* s, const float* x, const float* w4,
                                 const float* bias, const float* residual, int activation,
                                 float* y, int64_t row0, int64_t row1) {
  avx2_conv4::forward4(s, x, w4, bias, residual, activation, y, row0, row1);
}

void conv_grouped4_backward_weights__avx2(const ConvGroupedShape* s, const float* x,
                                          const float* dy, float* dw4, float* dbias,
                                          int64_t row0, int64_t row1) {
  avx2_conv4::backwardWeights4(s, x, dy, dw4, dbias, row0, row1);
}

}  // namespace convkit::isa
