// Softmax / logSoftmax / cross-entropy row kernels, one copy per ISA (declarations only; the
// body is common/softmax_impl.h compiled in isa/<isa>/softmax.cc).
#pragma once

#include <cstdint>

#define CONVKIT_SOFTMAX_UKERNELS                                                              \
  void softmax_row(const float* x, float* y, int64_t C);                                      \
  void log_softmax_row(const float* x, float* y, int64_t C);                                  \
  void softmax_backward_row(const float* y, const float* dy, float* dx, int64_t C);           \
  void log_softmax_backward_row(const float* y, const float* dy, float* dx, int64_t C);       \
  float xent_row_forward(const float* x, const float* w, int64_t C, float* rowMax,            \
                         float* weightedSum);                                                 \
  void xent_row_backward(const float* x, const float* w, int64_t C, float rowMax, float logSum, \
                         float probScale, float classScale, float* dx);

namespace convkit::isa::avx512 {
CONVKIT_SOFTMAX_UKERNELS
}
namespace convkit::isa::avx2 {
CONVKIT_SOFTMAX_UKERNELS
}
namespace convkit::isa::generic {
CONVKIT_SOFTMAX_UKERNELS
}
