// Direct grouped convolution, avx2 path (8 float lanes); body in ../common/conv_grouped_impl.h.
#include <cstring>

#include "../conv_ukernels.h"

#define CONVKIT_CONV_VL 8
namespace convkit::isa::avx2_conv {
#include "../common/conv_grouped_impl.h"
}  // namespace convkit::isa::avx2_conv

namespace convkit::isa {

void conv_grouped_forward__avx2(const ConvGroupedShape* s, const float* x, const float* wr,
                                const float* bias, const float* residual, int activation,
                                float* y, int64_t row0, int64_t row1, float* scratch) {
  avx2_conv::forward(s, x, wr, bias, residual, activation, y, row0, row1, scratch);
}

void conv_grouped_backward_data__avx2(const ConvGroupedShape* s, const float* dy,
                                      const float* wt, float* dx, int64_t row0, int64_t row1,
                                      float* scratch) {
  avx2_conv::backwardData(s, dy, wt, dx, row0, row1, scratch);
}

void conv_grouped_backward_weights__avx2(const ConvGroupedShape* s, const float* x,
                                         const float* dy, float* dwr, int64_t row0,
                                         int64_t row1, float* scratch) {
  avx2_conv::backwardWeights(s, x, dy, dwr, row0, row1, scratch);
}

}  // namespace convkit::isa
