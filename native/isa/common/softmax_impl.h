// Row kernels for softmax, logSoftmax and cross-entropy, written once as plain loops with
// `#pragma omp simd` and compiled per ISA: the ISA TU includes this file inside its own
// namespace (convkit::isa::<isa>), so each copy is vectorised with that TU's -m flags.
// Include <cmath>, <cstdint> and <cstring> before the namespace; no includes here.

// exp(x) in float, vectorisable (no libm call). Cephes expf: x = n*ln2 + r with
// n = round(x*log2(e)) and r reduced in two steps (Cody-Waite, ln2 = C1 + C2 so n*C1 is
// exact), exp(r) ~ 1 + r + r^2*P(r) with P a degree-5 minimax polynomial on |r| <= ln2/2,
// then scaled by 2^n built in the exponent bits. Measured max relative error 8.1e-8
// (about 1 ulp) on [-87, 88] on every path (test/kernels/loss.test.ts probes it); below
// -87.3 the result is 0 (so exp(-inf) = 0), NaN stays NaN.
static inline float exp_ps(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447505531f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  const float fx = xc * 1.44269504088896341f;
  // Round to nearest by adding and subtracting 1.5*2^23 (no libm call, vectorises).
  const float n = (fx + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * (r * r) + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float result = x < lo ? 0.0f : er * scale;
  return x != x ? x : result;
}

// Reductions run on kLanes independent partial results, written as fixed-size lane loops
// that GCC maps onto registers of the TU's width (2 zmm, 4 ymm or 8 xmm): several
// accumulators hide the add latency, and unlike `omp simd reduction` nothing is spilled.
constexpr int kLanes = 32;

static inline float row_max(const float* x, int64_t C) {
  float acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = -INFINITY;
  int64_t c = 0;
  for (; c + kLanes <= C; c += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = x[c + l] > acc[l] ? x[c + l] : acc[l];
  for (; c < C; ++c) acc[0] = x[c] > acc[0] ? x[c] : acc[0];
  float m = acc[0];
  for (int l = 1; l < kLanes; ++l) m = acc[l] > m ? acc[l] : m;
  return m;
}

// sum_c f(c) over kLanes partial sums (f is inlined; it sees one element index).
template <typename F>
static inline float lane_sum(int64_t C, F f) {
  float acc[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= C; c += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += f(c + l);
  for (; c < C; ++c) acc[0] += f(c);
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += acc[l];
  return sum;
}

// Subtracting the row maximum keeps every exponent <= 0 (no overflow); a row of -inf
// (max = -inf) would give NaN like PyTorch's.
void softmax_row(const float* __restrict x, float* __restrict y, int64_t C) {
  const float m = row_max(x, C);
  const float sum = lane_sum(C, [&](int64_t c) {
    const float e = exp_ps(x[c] - m);
    y[c] = e;
    return e;
  });
  const float inv = 1.0f / sum;
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) y[c] *= inv;
}

// log(sum_c exp(x_c - m)) with m the row maximum (returned in *rowMax). Kept apart from m so
// callers can form (x - m) - logSum, exact to float rounding even when |m| is large.
static inline float row_log_sum_exp(const float* x, int64_t C, float* rowMax) {
  const float m = row_max(x, C);
  const float sum = lane_sum(C, [&](int64_t c) { return exp_ps(x[c] - m); });
  *rowMax = m;
  return std::log(sum);
}

void log_softmax_row(const float* __restrict x, float* __restrict y, int64_t C) {
  float m;
  const float logSum = row_log_sum_exp(x, C, &m);
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) y[c] = (x[c] - m) - logSum;
}

// d softmax: dx = y * (dy - sum(dy * y)).
void softmax_backward_row(const float* __restrict y, const float* __restrict dy,
                          float* __restrict dx, int64_t C) {
  const float dot = lane_sum(C, [&](int64_t c) { return dy[c] * y[c]; });
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) dx[c] = y[c] * (dy[c] - dot);
}

// d logSoftmax: dx = dy - exp(y) * sum(dy).
void log_softmax_backward_row(const float* __restrict y, const float* __restrict dy,
                              float* __restrict dx, int64_t C) {
  const float sum = lane_sum(C, [&](int64_t c) { return dy[c]; });
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) dx[c] = dy[c] - exp_ps(y[c]) * sum;
}

// Cross-entropy row statistics: returns log(sum_c exp(x_c - m)) with m = max_c x_c in
// *rowMax, and *weightedSum = sum_c w_c (x_c - m) (w = nullptr: all ones), which label
// smoothing needs. logp_c = (x_c - m) - logSum.
float xent_row_forward(const float* x, const float* w, int64_t C, float* rowMax,
                       float* weightedSum) {
  float m;
  const float logSum = row_log_sum_exp(x, C, &m);
  const float s = w ? lane_sum(C, [&](int64_t c) { return w[c] * (x[c] - m); })
                    : lane_sum(C, [&](int64_t c) { return x[c] - m; });
  *rowMax = m;
  *weightedSum = s;
  return logSum;
}

// dx_c = softmax(x)_c * probScale - classScale * w_c (w = nullptr: all ones), with
// softmax(x)_c = exp((x_c - m) - logSum); the caller then subtracts the target term at dx_t.
void xent_row_backward(const float* __restrict x, const float* __restrict w, int64_t C,
                       float rowMax, float logSum, float probScale, float classScale,
                       float* __restrict dx) {
  if (w) {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c)
      dx[c] = exp_ps((x[c] - rowMax) - logSum) * probScale - classScale * w[c];
  } else {
#pragma omp simd
    for (int64_t c = 0; c < C; ++c)
      dx[c] = exp_ps((x[c] - rowMax) - logSum) * probScale - classScale;
  }
}
