// Fused optimizer updates over a flat parameter chunk, written once as plain loops with
// `#pragma omp simd` and compiled per ISA (included inside namespace convkit::isa::<isa>).
// One pass reads param, grad and state and writes param and state: the minimal traffic.
// The float operations follow PyTorch 1.13's order (torch/optim/sgd.py, adam.py, adamw.py).
// Include <cmath>, <cstdint>, <cstring> and "../optim_ukernels.h" before the namespace; no includes here.

template <bool kMomentum, bool kNesterov, bool kFirst, bool kDecay, bool kMaximize>
static void sgd_loop(float* __restrict p, const float* __restrict g, float* __restrict buf,
                     int64_t n, const SgdScalars& s) {
  // Scalars in locals: read through the reference, GCC must assume the stores to p and buf
  // may change them and falls back to its scalar loop.
  const float lr = s.lr, momentum = s.momentum, oneMinusDampening = s.oneMinusDampening,
              weightDecay = s.weightDecay;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float d = kMaximize ? -g[i] : g[i];
    if (kDecay) d = d + weightDecay * p[i];
    if (kMomentum) {
      // First step: the buffer is a copy of d_p (no dampening), as torch.clone(d_p).
      const float b = kFirst ? d : buf[i] * momentum + oneMinusDampening * d;
      buf[i] = b;
      d = kNesterov ? d + momentum * b : b;
    }
    p[i] = p[i] - lr * d;
  }
}

template <bool kMomentum, bool kNesterov, bool kFirst>
static void sgd_decay(float* p, const float* g, float* buf, int64_t n, const SgdScalars& s) {
  const bool decay = s.weightDecay != 0.0f;
  if (decay && s.maximize) sgd_loop<kMomentum, kNesterov, kFirst, true, true>(p, g, buf, n, s);
  else if (decay) sgd_loop<kMomentum, kNesterov, kFirst, true, false>(p, g, buf, n, s);
  else if (s.maximize) sgd_loop<kMomentum, kNesterov, kFirst, false, true>(p, g, buf, n, s);
  else sgd_loop<kMomentum, kNesterov, kFirst, false, false>(p, g, buf, n, s);
}

void sgd_update(float* p, const float* g, float* buf, int64_t n, const SgdScalars& s) {
  if (s.momentum == 0.0f) sgd_decay<false, false, false>(p, g, buf, n, s);
  else if (s.firstStep && s.nesterov) sgd_decay<true, true, true>(p, g, buf, n, s);
  else if (s.firstStep) sgd_decay<true, false, true>(p, g, buf, n, s);
  else if (s.nesterov) sgd_decay<true, true, false>(p, g, buf, n, s);
  else sgd_decay<true, false, false>(p, g, buf, n, s);
}

template <bool kDecoupled, bool kDecay, bool kAmsgrad, bool kMaximize>
static void adam_loop(float* __restrict p, const float* __restrict g, float* __restrict m,
                      float* __restrict v, float* __restrict vmax, int64_t n,
                      const AdamScalars& scalars) {
  const AdamScalars s = scalars;  // a local copy: see sgd_loop
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float grad = kMaximize ? -g[i] : g[i];
    float param = p[i];
    if (kDecoupled && kDecay) param = param * s.decoupledDecay;  // AdamW: p *= 1 - lr*wd
    if (!kDecoupled && kDecay) grad = grad + s.weightDecay * param;  // Adam: L2 in the grad
    const float mi = m[i] * s.beta1 + s.oneMinusBeta1 * grad;
    const float vi = v[i] * s.beta2 + s.oneMinusBeta2 * (grad * grad);
    m[i] = mi;
    v[i] = vi;
    float second = vi;
    if (kAmsgrad) {
      // max(vmax, v) on the bit patterns: both are >= 0, where IEEE order is integer order
      // (and a NaN, all ones in the exponent, wins as torch.maximum's does). An integer select
      // vectorises on every path; a float one stays scalar under -ftrapping-math.
      uint32_t a, b;
      std::memcpy(&a, &vmax[i], sizeof a);
      std::memcpy(&b, &vi, sizeof b);
      const uint32_t bits = a > b ? a : b;
      std::memcpy(&second, &bits, sizeof second);
      vmax[i] = second;
    }
    // eps is added after the bias correction of sqrt(v), as PyTorch does.
    const float denom = std::sqrt(second) / s.biasCorrection2Sqrt + s.eps;
    p[i] = param - s.stepSize * (mi / denom);
  }
}

template <bool kDecoupled, bool kDecay>
static void adam_flags(float* p, const float* g, float* m, float* v, float* vmax, int64_t n,
                       const AdamScalars& s) {
  if (s.amsgrad && s.maximize) adam_loop<kDecoupled, kDecay, true, true>(p, g, m, v, vmax, n, s);
  else if (s.amsgrad) adam_loop<kDecoupled, kDecay, true, false>(p, g, m, v, vmax, n, s);
  else if (s.maximize) adam_loop<kDecoupled, kDecay, false, true>(p, g, m, v, vmax, n, s);
  else adam_loop<kDecoupled, kDecay, false, false>(p, g, m, v, vmax, n, s);
}

void adam_update(float* p, const float* g, float* m, float* v, float* vmax, int64_t n,
                 const AdamScalars& s) {
  const bool decay = s.weightDecay != 0.0f;
  if (s.decoupled && decay) adam_flags<true, true>(p, g, m, v, vmax, n, s);
  else if (s.decoupled) adam_flags<true, false>(p, g, m, v, vmax, n, s);
  else if (decay) adam_flags<false, true>(p, g, m, v, vmax, n, s);
  else adam_flags<false, false>(p, g, m, v, vmax, n, s);
}
