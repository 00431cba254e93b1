// Depthwise kernels for stride 1 and 2, dilation 1 (every 3x3 and 5x5 layer of MobileNet /
// EfficientNet), included by depthwise_impl.h after depthwise_helpers_impl.h (Vec, ld/st,
// activate, tapRange), so compiled per ISA.
//
// P output pixels per step read a window of S * (P - 1) + KW input pixels per kernel row (S the
// stride); each is loaded once and kept in a register for the taps that use it. The general kernels load
// every tap (one load and one address per FMA; the 36 addresses of a 4-pixel 3x3 step spilled
// out of the integer registers). Columns whose window leaves the image load zeros instead
// (kGuard steps: the first and last of a row, and a short last step), rows outside the image
// are skipped, so one kernel covers the whole output including the padding.
//
// The data the benchmarks and a training step touch mostly sits in L3 (32 MB here), where the
// loads are fast enough that the instruction stream, not DRAM, sets the speed.

// Output pixels per step: enough independent accumulators to hide the FMA latency, few enough
// that weights, accumulators and the window fit the vector registers.
constexpr int kWindowPixels = Vec::kRegisters >= 32 ? 8 : 4;

// Asks for the cache lines of [p, p + floats) (prefetches never fault: spans past the end of a
// tensor are harmless). The steps walk each row 4*C bytes apart per channel block, which the
// hardware prefetchers do not follow, so every step fetches the next one's new lines: the dy
// pixels and the input row that no earlier output row read (the first touch of these stalled
// the backward-weights loads half the time; one thread ran 1.6x faster with it). Prefetching
// the outputs for writing as well measured slower.
inline void prefetchSpan(const float* p, int64_t floats) {
  for (int64_t i = 0; i < floats; i += 16) __builtin_prefetch(p + i, 0, 3);
}

// Input pixels per kernel row of a step: its window.
template <int KW, int S>
constexpr int windowWidth() {
  return S * (kWindowPixels - 1) + KW;
}

// Whether a step of `pixels` outputs from ow0 is a full one whose window lies inside the row.
template <int KW, int S>
inline bool stepInside(const DepthwiseArgs& a, int64_t ow0, int pixels) {
  const int64_t iw0 = ow0 * S - a.padLeft;
  return pixels == kWindowPixels && iw0 >= 0 && iw0 + windowWidth<KW, S>() <= a.W;
}

// Prefetches the input pixels the step after ow0 reads first: in the kernel rows no earlier
// output row read (the last S: each output row moves S input rows down), the S * P pixels past
// this step's window.
template <int KH, int KW, int S>
inline void prefetchNextStep(const DepthwiseArgs& a, const float* xTap0, int64_t ow0) {
  constexpr int P = kWindowPixels;
  for (int i = KH - S; i < KH; ++i)
    prefetchSpan(xTap0 + (i * a.W + (ow0 + P) * S - a.padLeft + KW - S) * a.C, S * P * a.C);
}

// Loads the window of kernel row `p` (input column iw0 first) into v, zeros outside [0, W).
template <int K, bool kTail, bool kGuard>
inline void loadWindow(const float* p, int64_t iw0, int64_t W, int64_t C, int n, T* v) {
#pragma GCC unroll 16
  for (int k = 0; k < K; ++k, p += C) {
    if (kGuard && (iw0 + k < 0 || iw0 + k >= W))
      v[k] = Vec::zero();
    else
      v[k] = ld<kTail>(p, n);
  }
}

// ---------------------------------------------------------------------------------------------
// Forward: y[ow0 .. ow0 + pixels) of one row and channel block.

template <int KH, int KW, int S, bool kTail, bool kGuard>
inline void forwardWindowStep(const DepthwiseArgs& a, const float* xTap0, TapRange kh,
                              const T* w, T bias, int64_t ow0, int pixels, int n, float* yp) {
  constexpr int P = kWindowPixels, V = windowWidth<KW, S>();
  const int64_t C = a.C, rowStep = a.W * a.C, iw0 = ow0 * S - a.padLeft;
  T acc[P];
  for (int u = 0; u < P; ++u) acc[u] = bias;
#pragma GCC unroll 8
  for (int i = 0; i < KH; ++i) {
    if (i < kh.lo || i >= kh.hi) continue;
    T v[V];
    loadWindow<V, kTail, kGuard>(xTap0 + i * rowStep + iw0 * C, iw0, a.W, C, n, v);
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j)
#pragma GCC unroll 8
      for (int u = 0; u < P; ++u) acc[u] = Vec::fma(v[u * S + j], w[i * KW + j], acc[u]);
  }
  const int count = kGuard ? pixels : P;
#pragma GCC unroll 8
  for (int u = 0; u < count; ++u) st<kTail>(yp + u * C, activate(acc[u], a.activation), n);
}

// One step of P output pixels across every channel block: the step's input window (P + KW - 1
// pixels of KH rows, a few KB) is read block by block while it sits in L1, and successive steps
// walk the rows front to back, which the hardware prefetchers follow. (Channel blocks outermost
// walk each row 4*C bytes apart, and the loads of first touch stalled.)
template <int KH, int KW, int S, bool kGuard>
inline void forwardWindowColumn(const DepthwiseArgs& a, const float* xTap0, TapRange kh,
                                int64_t ow0, int pixels, float* yp) {
  if (kh.hi == KH)  // the new pixels of the next step's last S kernel rows (first touched)
    prefetchNextStep<KH, KW, S>(a, xTap0, ow0);
  T w[KH * KW];
  int64_t c0 = 0;
  for (; c0 + L <= a.C; c0 += L) {
    for (int t = 0; t < KH * KW; ++t) w[t] = Vec::load(a.weight + t * a.Cp + c0);
    const T bias = a.bias ? Vec::load(a.bias + c0) : Vec::zero();
    forwardWindowStep<KH, KW, S, false, kGuard>(a, xTap0 + c0, kh, w, bias, ow0, pixels, L,
                                                yp + c0);
  }
  if (c0 < a.C) {
    for (int t = 0; t < KH * KW; ++t) w[t] = Vec::load(a.weight + t * a.Cp + c0);
    const T bias = a.bias ? Vec::load(a.bias + c0) : Vec::zero();
    forwardWindowStep<KH, KW, S, true, kGuard>(a, xTap0 + c0, kh, w, bias, ow0, pixels,
                                               int(a.C - c0), yp + c0);
  }
}

// Walks the steps of output rows [rowBegin, rowEnd): step(outputOffset, xTap0, kh, ow0, pixels,
// guard), where outputOffset is the step's first output pixel times C, xTap0 kernel row 0 of the
// output row in x (it may lie above the image: rows outside, per kh, are skipped), and guard a
// std::bool_constant: false for full steps whose window lies inside the row.
template <int KH, int KW, int S, typename Step>
inline void forEachWindowStep(const DepthwiseArgs& a, const float* x, int64_t rowBegin,
                              int64_t rowEnd, Step step) {
  constexpr int P = kWindowPixels;
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    const int64_t image = r / a.OH, oh = r % a.OH;
    const int64_t ihBase = oh * S - a.padTop;
    const TapRange kh = tapRange(ihBase, a.H, KH, 1);
    const float* xTap0 = x + (image * a.H + ihBase) * a.W * a.C;
    for (int64_t ow0 = 0; ow0 < a.OW; ow0 += P) {
      const int pixels = int(std::min<int64_t>(P, a.OW - ow0));
      const int64_t out = (r * a.OW + ow0) * a.C;
      if (stepInside<KW, S>(a, ow0, pixels))
        step(out, xTap0, kh, ow0, P, std::false_type{});
      else
        step(out, xTap0, kh, ow0, pixels, std::true_type{});
    }
  }
}

template <int KH, int KW, int S>
void forwardWindowRows(const DepthwiseArgs& a, const float* x, float* y, int64_t rowBegin,
                       int64_t rowEnd) {
  forEachWindowStep<KH, KW, S>(a, x, rowBegin, rowEnd,
                               [&](int64_t out, const float* xTap0, TapRange kh, int64_t ow0,
                                   int pixels, auto guard) {
                                 forwardWindowColumn<KH, KW, S, decltype(guard)::value>(
                                     a, xTap0, kh, ow0, pixels, y + out);
                               });
}

// ---------------------------------------------------------------------------------------------
// Backward weights: dw[i][j] += sum over the output pixels of dy[ow] * x[ih + i][ow - pad + j],
// in the same order as the forward (steps outermost, channel blocks inside). Each kernel row's KW
// accumulators are loaded from the thread's partial sums, updated over the step and stored
// back, so KW + P + (P + KW - 1) registers suffice for 5x5 too. Bias gradient on the way.

template <int KH, int KW, int S, bool kTail, bool kGuard>
inline void backwardWeightsWindowStep(const DepthwiseArgs& a, const float* xTap0, TapRange kh,
                                      const float* dyp, int64_t ow0, int pixels, int n,
                                      float* dw, float* db) {
  constexpr int P = kWindowPixels, V = windowWidth<KW, S>();
  const int64_t C = a.C, rowStep = a.W * a.C, iw0 = ow0 * S - a.padLeft;
  T d[P];
  T sum = Vec::zero();
#pragma GCC unroll 8
  for (int u = 0; u < P; ++u) {
    d[u] = kGuard && u >= pixels ? Vec::zero() : ld<kTail>(dyp + u * C, n);
    sum = Vec::add(sum, d[u]);
  }
  if (db) Vec::store(db, Vec::add(Vec::load(db), sum));
#pragma GCC unroll 8
  for (int i = 0; i < KH; ++i) {
    if (i < kh.lo || i >= kh.hi) continue;
    T v[V];
    loadWindow<V, kTail, kGuard>(xTap0 + i * rowStep + iw0 * C, iw0, a.W, C, n, v);
    // Two accumulator sets (even / odd pixels) where the registers allow: a chain of P
    // dependent FMAs per tap would leave the FMA units waiting on their latency.
    constexpr int kSets = 2 * KW + P + V <= Vec::kRegisters ? 2 : 1;
    T acc[kSets][KW];
    for (int j = 0; j < KW; ++j) {
      acc[0][j] = Vec::load(dw + (i * KW + j) * a.Cp);
      if (kSets == 2) acc[kSets - 1][j] = Vec::zero();
    }
#pragma GCC unroll 8
    for (int u = 0; u < P; ++u)
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j)
        acc[u % kSets][j] = Vec::fma(d[u], v[u * S + j], acc[u % kSets][j]);
    for (int j = 0; j < KW; ++j)
      Vec::store(dw + (i * KW + j) * a.Cp, kSets == 2 ? Vec::add(acc[0][j], acc[kSets - 1][j]) : acc[0][j]);
  }
}

template <int KH, int KW, int S, bool kGuard>
inline void backwardWeightsWindowColumn(const DepthwiseArgs& a, const float* xTap0, TapRange kh,
                                        const float* dyp, int64_t ow0, int pixels, float* dw,
                                        float* db) {
  constexpr int P = kWindowPixels;
  if (kh.hi == KH)  // as in the forward: the next step's new input and dy pixels
    prefetchNextStep<KH, KW, S>(a, xTap0, ow0);
  prefetchSpan(dyp + P * a.C, P * a.C);
  int64_t c0 = 0;
  for (; c0 + L <= a.C; c0 += L)
    backwardWeightsWindowStep<KH, KW, S, false, kGuard>(a, xTap0 + c0, kh, dyp + c0, ow0, pixels,
                                                        L, dw + c0, db ? db + c0 : nullptr);
  if (c0 < a.C)
    backwardWeightsWindowStep<KH, KW, S, true, kGuard>(a, xTap0 + c0, kh, dyp + c0, ow0, pixels,
                                                       int(a.C - c0), dw + c0,
                                                       db ? db + c0 : nullptr);
}

template <int KH, int KW, int S>
void backwardWeightsWindowRows(const DepthwiseArgs& a, const float* x, const float* dy, float* dw,
                               float* db, int64_t rowBegin, int64_t rowEnd) {
  forEachWindowStep<KH, KW, S>(a, x, rowBegin, rowEnd,
                               [&](int64_t out, const float* xTap0, TapRange kh, int64_t ow0,
                                   int pixels, auto guard) {
                                 backwardWeightsWindowColumn<KH, KW, S, decltype(guard)::value>(
                                     a, xTap0, kh, dy + out, ow0, pixels, dw, db);
                               });
}

typedef void (*WindowForwardFn)(const DepthwiseArgs&, const float*, float*, int64_t, int64_t);
typedef void (*WindowBackwardWeightsFn)(const DepthwiseArgs&, const float*, const float*, float*,
                                        float*, int64_t, int64_t);

// Stride 1 or 2 (the same in both directions), dilation 1, 3x3 or 5x5. At stride 2 only for
// inputs up to 16 MB: from the caches the window kernel ran EfficientNet-B0's 14x14 5x5 layer
// (672 channels, batch 16) 1.5x (forward) and 1.9x (weights) faster than the general one, but
// from memory (its 56x56 and 112x112 layers, 29 and 77 MB) 1.2-1.3x slower, with or without
// prefetching all the new input rows.
inline int windowStride(const DepthwiseArgs& a) {
  const bool square = a.strideH == a.strideW && a.dilationH == 1 && a.dilationW == 1 &&
                      a.KH == a.KW && (a.KH == 3 || a.KH == 5);
  if (!square) return 0;
  if (a.strideH == 1) return 1;
  const int64_t inputBytes = a.N * a.H * a.W * a.C * int64_t(sizeof(float));
  return a.strideH == 2 && inputBytes <= (int64_t(16) << 20) ? 2 : 0;
}

inline WindowForwardFn windowForwardFor(const DepthwiseArgs& a) {
  const int s = windowStride(a);
  if (s == 0) return nullptr;
  if (a.KH == 3) return s == 1 ? forwardWindowRows<3, 3, 1> : forwardWindowRows<3, 3, 2>;
  return s == 1 ? forwardWindowRows<5, 5, 1> : forwardWindowRows<5, 5, 2>;
}

inline WindowBackwardWeightsFn windowBackwardWeightsFor(const DepthwiseArgs& a) {
  const int s = windowStride(a);
  if (s == 0) return nullptr;
  if (a.KH == 3)
    return s == 1 ? backwardWeightsWindowRows<3, 3, 1> : backwardWeightsWindowRows<3, 3, 2>;
  return s == 1 ? backwardWeightsWindowRows<5, 5, 1> : backwardWeightsWindowRows<5, 5, 2>;
}
