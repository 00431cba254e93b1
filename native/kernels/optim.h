// Fused optimizer updates over one flat parameter buffer: a single pass reads param, grad and
// state and writes param and state. Rules are PyTorch 1.13's (torch.optim.SGD, Adam, AdamW, RMSprop).
#pragma once

#include <cstdint>

namespace convkit {

struct SgdOptions {
  double lr = 0, momentum = 0, dampening = 0, weightDecay = 0;
  bool nesterov = false, maximize = false;
};

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
  bool amsgrad = false, maximize = false;
  bool decoupled = false;  // true: AdamW (p *= 1 - lr * wd before the update)
};

struct RmspropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0;
  bool centered = false, maximize = false;
};

// `step` counts this update (1 for the first), like PyTorch's state['step'] after += 1.
// SGD: momentumBuffer may be nullptr when momentum == 0; on step 1 it is overwritten with d_p.
void sgdStep(float* param, const float* grad, float* momentumBuffer, int64_t n,
             const SgdOptions& options, int64_t step);
// maxExpAvgSq may be nullptr unless amsgrad.
void adamStep(float* param, const float* grad, float* expAvg, float* expAvgSq,
              float* maxExpAvgSq, int64_t n, const AdamOptions& options, int64_t step);

// RMSprop: gradAvg may be nullptr unless centered, momentumBuffer unless momentum > 0.
void rmspropStep(float* param, const float* grad, float* squareAvg, float* gradAvg,
                 float* momentumBuffer, int64_t n, const RmspropOptions& options);

namespace ref {
void rmspropStep(float* param, const float* grad, float* squareAvg, float* gradAvg,
                 float* momentumBuffer, int64_t n, const RmspropOptions& options);
void sgdStep(float* param, const float* grad, float* momentumBuffer, int64_t n,
             const SgdOptions& options, int64_t step);
void adamStep(float* param, const float* grad, float* expAvg, float* expAvgSq,
              float* maxExpAvgSq, int64_t n, const AdamOptions& options, int64_t step);
}  // namespace ref

}  // namespace convkit
