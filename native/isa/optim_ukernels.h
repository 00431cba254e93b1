// Fused optimizer updates, one copy per ISA (declarations only; the body is
// common/optim_impl.h compiled in isa/<isa>/optim.cc). Scalars arrive precomputed (in double,
// then rounded to float, as PyTorch rounds Python floats when it applies them to a tensor).
#pragma once

#include <cstdint>

namespace convkit::isa {

struct SgdScalars {
  float lr, momentum, oneMinusDampening, weightDecay;
  bool nesterov, maximize;
  bool firstStep;  // momentum buffer not yet initialised: it becomes a copy of d_p
};

struct AdamScalars {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2;
  float stepSize;             // lr / (1 - beta1^step)
  float biasCorrection2Sqrt;  // sqrt(1 - beta2^step)
  float eps, weightDecay;
  float decoupledDecay;  // AdamW: 1 - lr * weightDecay
  bool decoupled, amsgrad, maximize;
};

}  // namespace convkit::isa

#define CONVKIT_OPTIM_UKERNELS                                                              \
  void sgd_update(float* p, const float* g, float* buf, int64_t n,                          \
                  const convkit::isa::SgdScalars& s);                                       \
  void adam_update(float* p, const float* g, float* m, float* v, float* vmax, int64_t n,    \
                   const convkit::isa::AdamScalars& s);

namespace convkit::isa::avx512 {
CONVKIT_OPTIM_UKERNELS
}
namespace convkit::isa::avx2 {
CONVKIT_OPTIM_UKERNELS
}
namespace convkit::isa::generic {
CONVKIT_OPTIM_UKERNELS
}
