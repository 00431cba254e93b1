// Fused optimizer updates: scalars computed once in double (as PyTorch's Python code does),
// the buffer split in contiguous 64-byte-aligned chunks, one per thread, each updated by the
// ISA's loop (isa/common/optim_impl.h).
#include "optim.h"

#include <algorithm>
#include <cmath>

#include "../isa/optim_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

template <typename Body>
void forChunks(int64_t n, Body body) {
  // Below ~64K elements one thread streams the data faster than two can be woken.
  const int threads = n < (int64_t(1) << 16) ? 1 : kernelThreads();
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), count = threadCount();
    // Chunk boundaries on multiples of 16 floats keep every chunk's vectors aligned alike.
    const int64_t per = ((n + count - 1) / count + 15) / 16 * 16;
    const int64_t begin = std::min(n, per * t), end = std::min(n, begin + per);
    if (end > begin) body(begin, end - begin);
  }
}

}  // namespace

void sgdStep(float* param, const float* grad, float* momentumBuffer, int64_t n,
             const SgdOptions& o, int64_t step) {
  isa::SgdScalars s;
  s.lr = static_cast<float>(o.lr);
  s.momentum = static_cast<float>(o.momentum);
  s.oneMinusDampening = static_cast<float>(1.0 - o.dampening);
  s.weightDecay = static_cast<float>(o.weightDecay);
  s.nesterov = o.nesterov;
  s.maximize = o.maximize;
  s.firstStep = step <= 1;
  auto kernel = isa::generic::sgd_update;
#if defined(__x86_64__)
  if (activeIsa() == Isa::avx512) kernel = isa::avx512::sgd_update;
  if (activeIsa() == Isa::avx2) kernel = isa::avx2::sgd_update;
#endif
  forChunks(n, [&](int64_t begin, int64_t count) {
    kernel(param + begin, grad + begin, momentumBuffer ? momentumBuffer + begin : nullptr, count,
           s);
  });
}

void adamStep(float* param, const float* grad, float* expAvg, float* expAvgSq,
              float* maxExpAvgSq, int64_t n, const AdamOptions& o, int64_t step) {
  isa::AdamScalars s;
  s.beta1 = static_cast<float>(o.beta1);
  s.beta2 = static_cast<float>(o.beta2);
  s.oneMinusBeta1 = static_cast<float>(1.0 - o.beta1);
  s.oneMinusBeta2 = static_cast<float>(1.0 - o.beta2);
  const double biasCorrection1 = 1.0 - std::pow(o.beta1, static_cast<double>(step));
  const double biasCorrection2 = 1.0 - std::pow(o.beta2, static_cast<double>(step));
  s.stepSize = static_cast<float>(o.lr / biasCorrection1);
  s.biasCorrection2Sqrt = static_cast<float>(std::sqrt(biasCorrection2));
  s.eps = static_cast<float>(o.eps);
  s.weightDecay = static_cast<float>(o.weightDecay);
  s.decoupledDecay = static_cast<float>(1.0 - o.lr * o.weightDecay);
  s.decoupled = o.decoupled;
  s.amsgrad = o.amsgrad;
  s.maximize = o.maximize;
  auto kernel = isa::generic::adam_update;
#if defined(__x86_64__)
  if (activeIsa() == Isa::avx512) kernel = isa::avx512::adam_update;
  if (activeIsa() == Isa::avx2) kernel = isa::avx2::adam_update;
#endif
  forChunks(n, [&](int64_t begin, int64_t count) {
    kernel(param + begin, grad + begin, expAvg + begin, expAvgSq + begin,
           maxExpAvgSq ? maxExpAvgSq + begin : nullptr, count, s);
  });
}


// One fused pass of torch.optim.RMSprop (1.13's single-tensor order of operations). A plain
// loop at baseline: RMSprop is rarely the hot path, so it has no per-ISA microkernel.
void rmspropStep(float* param, const float* grad, float* squareAvg, float* gradAvg,
                 float* momentumBuffer, int64_t n, const RmspropOptions& o) {
  const float lr = static_cast<float>(o.lr), alpha = static_cast<float>(o.alpha);
  const float oneMinusAlpha = static_cast<float>(1.0 - o.alpha), eps = static_cast<float>(o.eps);
  const float weightDecay = static_cast<float>(o.weightDecay);
  const float momentum = static_cast<float>(o.momentum);
  const bool centered = o.centered && gradAvg, useMomentum = o.momentum > 0 && momentumBuffer;
  const float sign = o.maximize ? -1.0f : 1.0f;
  forChunks(n, [&](int64_t begin, int64_t count) {
    for (int64_t i = begin; i < begin + count; ++i) {
      float g = sign * grad[i];
      if (weightDecay != 0.0f) g = g + weightDecay * param[i];
      const float sq = squareAvg[i] * alpha + oneMinusAlpha * (g * g);
      squareAvg[i] = sq;
      float avg;
      if (centered) {
        const float ga = gradAvg[i] * alpha + oneMinusAlpha * g;
        gradAvg[i] = ga;
        avg = std::sqrt(sq - ga * ga) + eps;
      } else {
        avg = std::sqrt(sq) + eps;
      }
      if (useMomentum) {
        const float b = momentumBuffer[i] * momentum + g / avg;
        momentumBuffer[i] = b;
        param[i] = param[i] - lr * b;
      } else {
        param[i] = param[i] - lr * (g / avg);
      }
    }
  });
}

}  // namespace convkit
