// Scalar references for the fused optimizers: PyTorch 1.13's single-tensor loops
// (torch/optim/sgd.py _single_tensor_sgd, adam.py _single_tensor_adam, adamw.py) element by
// element in double, rounded to float where PyTorch stores a float tensor.
#include <cmath>

#include "../optim.h"

namespace convkit::ref {

void sgdStep(float* param, const float* grad, float* momentumBuffer, int64_t n,
             const SgdOptions& o, int64_t step) {
  for (int64_t i = 0; i < n; ++i) {
    double d = o.maximize ? -double(grad[i]) : double(grad[i]);
    if (o.weightDecay != 0) d += o.weightDecay * param[i];
    if (o.momentum != 0) {
      double buf;
      if (step <= 1) buf = d;  // torch.clone(d_p).detach()
      else buf = o.momentum * momentumBuffer[i] + (1 - o.dampening) * d;
      momentumBuffer[i] = static_cast<float>(buf);
      d = o.nesterov ? d + o.momentum * buf : buf;
    }
    param[i] = static_cast<float>(param[i] - o.lr * d);
  }
}

void adamStep(float* param, const float* grad, float* expAvg, float* expAvgSq,
              float* maxExpAvgSq, int64_t n, const AdamOptions& o, int64_t step) {
  const double bc1 = 1 - std::pow(o.beta1, double(step));
  const double bc2 = 1 - std::pow(o.beta2, double(step));
  for (int64_t i = 0; i < n; ++i) {
    double g = o.maximize ? -double(grad[i]) : double(grad[i]);
    double p = param[i];
    if (o.decoupled) p *= 1 - o.lr * o.weightDecay;
    else if (o.weightDecay != 0) g += o.weightDecay * p;
    const double m = o.beta1 * expAvg[i] + (1 - o.beta1) * g;
    const double v = o.beta2 * expAvgSq[i] + (1 - o.beta2) * g * g;
    expAvg[i] = static_cast<float>(m);
    expAvgSq[i] = static_cast<float>(v);
    double second = v;
    if (o.amsgrad) {
      second = std::fmax(double(maxExpAvgSq[i]), v);
      maxExpAvgSq[i] = static_cast<float>(second);
    }
    const double denom = std::sqrt(second) / std::sqrt(bc2) + o.eps;
    param[i] = static_cast<float>(p - o.lr / bc1 * m / denom);
  }
}


void rmspropStep(float* param, const float* grad, float* squareAvg, float* gradAvg,
                 float* momentumBuffer, int64_t n, const RmspropOptions& o) {
  for (int64_t i = 0; i < n; ++i) {
    double g = (o.maximize ? -1.0 : 1.0) * grad[i] + o.weightDecay * param[i];
    squareAvg[i] = static_cast<float>(squareAvg[i] * o.alpha + (1 - o.alpha) * g * g);
    double avg = squareAvg[i];
    if (o.centered) {
      gradAvg[i] = static_cast<float>(gradAvg[i] * o.alpha + (1 - o.alpha) * g);
      avg -= static_cast<double>(gradAvg[i]) * gradAvg[i];
    }
    avg = std::sqrt(avg) + o.eps;
    if (o.momentum > 0) {
      momentumBuffer[i] = static_cast<float>(momentumBuffer[i] * o.momentum + g / avg);
      param[i] = static_cast<float>(param[i] - o.lr * momentumBuffer[i]);
    } else {
      param[i] = static_cast<float>(param[i] - o.lr * g / avg);
    }
  }
}

}  // namespace convkit::ref
