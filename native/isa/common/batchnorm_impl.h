// Batch-norm row kernels, compiled once per ISA: include inside `namespace convkit::isa::<isa>`
// after simd.h. Explicit vectors across channels (NHWC: channels innermost); the channel tail
// (C not a multiple of the vector) is one partial vector (loadvPartial / storevPartial) per row.
//
// Reductions are one pass over memory, register-blocked: rows are taken in tiles that stay in
// L1 (about 16 KiB), and within a tile each group of 4 channel vectors accumulates over the
// tile's rows in registers. Sums are float over a block of up to ~1024 rows, shifted by a
// per-channel estimate K of the mean (the running mean, or the block's first row) so the float
// sums of (x - K) and (x - K)^2 stay accurate for any mean; blocks merge in double.
#pragma once

namespace batchnorm_detail {

// Rows per float-accumulated block (~256 KiB of data) and per L1 tile (~16 KiB).
static inline int64_t blockRows(int64_t C) {
  const int64_t rows = 65536 / (C > 0 ? C : 1);
  return rows < 64 ? 64 : (rows > 1024 ? 1024 : rows);
}
static inline int64_t tileRows(int64_t C) {
  const int64_t rows = 4096 / (C > 0 ? C : 1);
  return rows < 4 ? 4 : (rows > 64 ? 64 : rows);
}

// A whole vector, or (kPartial) the first `lanes` floats of one (zeros in the other lanes).
template <bool kPartial>
static inline vfloat ld(const float* p, int64_t lanes) {
  if constexpr (kPartial) return loadvPartial(p, lanes);
  return loadv(p);
}
template <bool kPartial>
static inline void st(float* p, vfloat v, int64_t lanes) {
  if constexpr (kPartial) return storevPartial(p, v, lanes);
  storev(p, v);
}

// Channels [c, c + V*kLanes) over n rows (ldx floats apart): s1 += x - K, s2 += (x - K)^2
// (accumulators in memory, loaded once per tile). kPartial: one vector of `lanes` channels.
template <int V, bool kPartial = false>
static inline void shiftedSums(const float* x, int64_t n, int64_t ldx, const float* K, float* s1,
                               float* s2, int64_t lanes = kLanes) {
  vfloat k[V], a[V], b[V];
  for (int v = 0; v < V; ++v) {
    k[v] = ld<kPartial>(K + v * kLanes, lanes);
    a[v] = ld<kPartial>(s1 + v * kLanes, lanes);
    b[v] = ld<kPartial>(s2 + v * kLanes, lanes);
  }
  for (int64_t r = 0; r < n; ++r)
    for (int v = 0; v < V; ++v) {
      const vfloat d = ld<kPartial>(x + r * ldx + v * kLanes, lanes) - k[v];
      a[v] += d;
      b[v] += d * d;
    }
  for (int v = 0; v < V; ++v) {
    st<kPartial>(s1 + v * kLanes, a[v], lanes);
    st<kPartial>(s2 + v * kLanes, b[v], lanes);
  }
}

static void stats(const float* x, int64_t rows, int64_t C, int64_t ldx, double* count,
                  double* mean, double* m2, float* scratch) {
  float* K = scratch;
  float* s1 = scratch + C;
  float* s2 = scratch + 2 * C;
  const int64_t step = blockRows(C), tile = tileRows(C);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t n = rows - r0 < step ? rows - r0 : step;
    const float* block = x + r0 * ldx;
    for (int64_t c = 0; c < C; ++c) {
      K[c] = *count > 0 ? float(mean[c]) : block[c];
      s1[c] = 0.0f;
      s2[c] = 0.0f;
    }
    for (int64_t t0 = 0; t0 < n; t0 += tile) {
      const int64_t tn = n - t0 < tile ? n - t0 : tile;
      const float* xt = block + t0 * ldx;
      int64_t c = 0;
      for (; c + 4 * int64_t(kLanes) <= C; c += 4 * kLanes)
        shiftedSums<4>(xt + c, tn, ldx, K + c, s1 + c, s2 + c);
      for (; c + int64_t(kLanes) <= C; c += kLanes)
        shiftedSums<1>(xt + c, tn, ldx, K + c, s1 + c, s2 + c);
      if (c < C) shiftedSums<1, true>(xt + c, tn, ldx, K + c, s1 + c, s2 + c, C - c);
    }
    // Block mean = K + s1/n exactly; block M2 = s2 - s1^2/n. Merge with Chan's formula.
    const double nb = double(n), na = *count, total = na + nb;
    const double invNb = 1.0 / nb, wb = nb / total, wab = na * nb / total;
    for (int64_t c = 0; c < C; ++c) {
      const double t1 = double(s1[c]);
      const double blockMean = double(K[c]) + t1 * invNb;
      const double blockM2 = double(s2[c]) - t1 * t1 * invNb;
      const double delta = blockMean - mean[c];
      mean[c] += delta * wb;
      m2[c] += (blockM2 > 0 ? blockM2 : 0.0) + delta * delta * wab;
    }
    *count = total;
  }
}

template <int A, typename V>
static inline V activate(V v, V zero, V six) {
  if (A == 1) return v < zero ? zero : v;
  if (A == 2) return v < zero ? zero : (v > six ? six : v);
  if constexpr (A == 3) {  // silu
    if constexpr (std::is_same_v<V, float>)
      return v / (1.0f + std::exp(-v));
    else
      return v * math::sigmoid(v);
  }
  return v;
}

// The compiler would fold a vector dy's load into the select as a masked load, which skips
// the masked-off lanes' memory and defeats the hardware prefetcher on the dy stream (BN
// backward with a fused activation ran 1.6x slower than without); the empty asm keeps the
// load a plain full one.
template <int A, typename V>
static inline V maskGradient(V y, V dy, V zero, V six) {
  if constexpr (sizeof(V) > sizeof(float)) {
    if (A) asm("" : "+x"(dy));
  }
  if (A == 1) return y > zero ? dy : zero;
  if (A == 2) return (y > zero) & (y < six) ? dy : zero;
  if constexpr (A == 3) {  // silu: y is the pre-activation z; dy * s (1 + z (1 - s))
    if constexpr (std::is_same_v<V, float>) {
      const float s = 1.0f / (1.0f + std::exp(-y));
      return dy * (s * (1.0f + y * (1.0f - s)));
    } else {
      V s, c;
      math::sigmoidPair(y, &s, &c);
      return dy * (s * (splat(1.0f) + y * c));
    }
  }
  return dy;
}

// maskGradient for U vectors at once: the SiLU's sigmoids interleaved (activation_math.h's
// sigmoidPairs), dy[u] replaced by the masked gradient.
template <int A, int U>
static inline void maskGradients(const vfloat* z, vfloat* dy) {
  if constexpr (A == 3) {
    vfloat s[U], c[U];
    math::sigmoidPairs<U>(z, s, c);
    for (int u = 0; u < U; ++u) dy[u] = dy[u] * (s[u] * (splat(1.0f) + z[u] * c[u]));
  } else {
    const vfloat zero = splat(0.0f), six = splat(6.0f);
    for (int u = 0; u < U; ++u) dy[u] = maskGradient<A>(z[u], dy[u], zero, six);
  }
}

// activate for G vectors in place (the SiLU's sigmoids interleaved, as maskGradients).
template <int A, int G>
static inline void activates(vfloat* v) {
  if constexpr (A == 3) {
    vfloat s[G], c[G];
    math::sigmoidPairs<G>(v, s, c);
    for (int g = 0; g < G; ++g) v[g] *= s[g];
  } else {
    const vfloat zero = splat(0.0f), six = splat(6.0f);
    for (int g = 0; g < G; ++g) v[g] = activate<A>(v[g], zero, six);
  }
}

// Rows a row kernel takes per step: with the SiLU, enough for one interleaved batch of
// sigmoids (a vector of channels of each row); else one.
template <int A>
constexpr int kActivationRows = A == 3 ? math::kSigmoidBatch : 1;

// f(r, integral_constant<int, G'>) over rows [0, rows) in groups of G, then one at a time.
template <int G, typename F>
static inline void forRowGroups(int64_t rows, F f) {
  int64_t r = 0;
  if constexpr (G > 1)
    for (; r + G <= rows; r += G) f(r, std::integral_constant<int, G>{});
  for (; r < rows; ++r) f(r, std::integral_constant<int, 1>{});
}

// The normalised value before the activation. The backward recomputes it from x with the same
// per-channel floats (the forward's saved affine) and this same expression, so its activation
// masks equal the forward's bit for bit and it need not read y.
template <typename V>
static inline V preActivation(V x, V meanHi, V meanLo, V scale, V shift) {
  return ((x - meanHi) - meanLo) * scale + shift;
}

// y for channels [c, c + lanes) of G rows (kPartial: lanes < kLanes; else a whole vector).
template <int A, bool kStream, bool kResidual, bool kPartial, int G>
static inline void applyVector(const float* xr, const float* rr, float* yr, int64_t ldx,
                               int64_t C, const float* meanHi, const float* meanLo,
                               const float* scale, const float* beta, int64_t c, int64_t lanes) {
  const vfloat hi = ld<kPartial>(meanHi + c, lanes), lo = ld<kPartial>(meanLo + c, lanes),
               sc = ld<kPartial>(scale + c, lanes), sh = ld<kPartial>(beta + c, lanes);
  vfloat v[G];
  for (int g = 0; g < G; ++g) {
    v[g] = preActivation(ld<kPartial>(xr + g * ldx + c, lanes), hi, lo, sc, sh);
    if (kResidual) v[g] += ld<kPartial>(rr + g * C + c, lanes);
  }
  activates<A, G>(v);
  for (int g = 0; g < G; ++g) {
    if (kStream && !kPartial)
      streamv(yr + g * C + c, v[g]);
    else
      st<kPartial>(yr + g * C + c, v[g], lanes);
  }
}

// Whole vectors go through streamv when kStream (C is then whole vectors). With kResidual,
// `residual` (rows x C) is added before the activation (a ResNet block's tail).
template <int A, bool kStream, bool kResidual>
static void apply(const float* x, float* y, int64_t rows, int64_t C, int64_t ldx,
                  const float* meanHi, const float* meanLo, const float* scale, const float* beta,
                  const float* residual) {
  forRowGroups<kActivationRows<A>>(rows, [&](int64_t r, auto rowsConstant) {
    constexpr int G = decltype(rowsConstant)::value;
    const float* xr = x + r * ldx;
    const float* rr = kResidual ? residual + r * C : nullptr;
    float* yr = y + r * C;
    int64_t c = 0;
    for (; c + int64_t(kLanes) <= C; c += kLanes)
      applyVector<A, kStream, kResidual, false, G>(xr, rr, yr, ldx, C, meanHi, meanLo, scale,
                                                   beta, c, kLanes);
    if (c < C)
      applyVector<A, false, kResidual, true, G>(xr, rr, yr, ldx, C, meanHi, meanLo, scale, beta,
                                                c, C - c);
  });
  if (kStream) streamFence();
}

// Channels [c, c + V*kLanes) over n rows: sg += g, sgx += g * (x - mean). g is dy masked by
// the activation: of y, or (R) of the pre-activation recomputed from x with `affine`
// ([meanHi | meanLo | scale | shift], each C floats, offset to channel c like mean).
// kPartial: one vector of `lanes` channels.
template <int A, bool R, int V, bool kSave, bool kPartial = false>
static inline void gradientSums(const float* x, const float* dy, const float* y, int64_t n,
                                int64_t C, int64_t ldx, const float* mean, const float* affine,
                                float* sg, float* sgx, float* gOut, int64_t lanes = kLanes) {
  vfloat m[V], a[V], b[V], hi[V], lo[V], sc[V], sh[V];
  for (int v = 0; v < V; ++v) {
    m[v] = ld<kPartial>(mean + v * kLanes, lanes);
    a[v] = ld<kPartial>(sg + v * kLanes, lanes);
    b[v] = ld<kPartial>(sgx + v * kLanes, lanes);
    if (R) {
      hi[v] = ld<kPartial>(affine + v * kLanes, lanes);
      lo[v] = ld<kPartial>(affine + C + v * kLanes, lanes);
      sc[v] = ld<kPartial>(affine + 2 * C + v * kLanes, lanes);
      sh[v] = ld<kPartial>(affine + 3 * C + v * kLanes, lanes);
    }
  }
  // G rows per step (SiLU: their G * V sigmoids interleaved, see maskGradients).
  auto step = [&](int64_t r, auto rowsConstant) {
    constexpr int G = decltype(rowsConstant)::value;
    vfloat d[G * V], xv[G * V], z[G * V];
    for (int i = 0; i < G * V; ++i) {
      const int64_t row = r + i / V, v = i % V;
      d[i] = ld<kPartial>(dy + row * C + v * kLanes, lanes);
      xv[i] = ld<kPartial>(x + row * ldx + v * kLanes, lanes);
      if (A && R) z[i] = preActivation(xv[i], hi[v], lo[v], sc[v], sh[v]);
      else if (A) z[i] = ld<kPartial>(y + row * C + v * kLanes, lanes);
    }
    if (A) maskGradients<A, G * V>(z, d);
    for (int i = 0; i < G * V; ++i) {
      const int64_t row = r + i / V, v = i % V;
      if (kSave) st<kPartial>(gOut + row * C + v * kLanes, d[i], lanes);
      a[v] += d[i];
      b[v] += d[i] * (xv[i] - m[v]);
    }
  };
  forRowGroups<(kActivationRows<A> > V ? kActivationRows<A> / V : 1)>(n, step);
  for (int v = 0; v < V; ++v) {
    st<kPartial>(sg + v * kLanes, a[v], lanes);
    st<kPartial>(sgx + v * kLanes, b[v], lanes);
  }
}

template <int A, bool R, bool kSave>
static void backwardSums(const float* x, const float* dy, const float* y, int64_t rows,
                         int64_t C, int64_t ldx, const float* mean, const float* affine,
                         double* sumG, double* sumGX, float* scratch, float* gOut) {
  float* sg = scratch;
  float* sgx = scratch + C;
  const int64_t step = blockRows(C), tile = tileRows(C);
  // Vectors of channels per call: with 4, the SiLU's sigmoid spilled registers to the stack
  // (perf annotate); 2 measured 5-15% faster on EfficientNet-B0's shapes.
  constexpr int kWide = A == 3 ? 2 : 4;
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t n = rows - r0 < step ? rows - r0 : step;
    for (int64_t c = 0; c < C; ++c) {
      sg[c] = 0.0f;
      sgx[c] = 0.0f;
    }
    for (int64_t t0 = r0; t0 < r0 + n; t0 += tile) {
      const int64_t tn = r0 + n - t0 < tile ? r0 + n - t0 : tile;
      const int64_t o = t0 * C;
      const float* xt = x + t0 * ldx;
      const float* yt = A && !R ? y + o : nullptr;
      float* gt = kSave ? gOut + o : nullptr;
      int64_t c = 0;
      for (; c + kWide * int64_t(kLanes) <= C; c += kWide * kLanes)
        gradientSums<A, R, kWide, kSave>(xt + c, dy + o + c, yt ? yt + c : nullptr, tn, C, ldx,
                                     mean + c, R ? affine + c : nullptr, sg + c, sgx + c,
                                     kSave ? gt + c : nullptr);
      for (; c + int64_t(kLanes) <= C; c += kLanes)
        gradientSums<A, R, 1, kSave>(xt + c, dy + o + c, yt ? yt + c : nullptr, tn, C, ldx,
                                     mean + c, R ? affine + c : nullptr, sg + c, sgx + c,
                                     kSave ? gt + c : nullptr);
      if (c < C)
        gradientSums<A, R, 1, kSave, true>(xt + c, dy + o + c, yt ? yt + c : nullptr, tn, C, ldx,
                                           mean + c, R ? affine + c : nullptr, sg + c, sgx + c,
                                           kSave ? gt + c : nullptr, C - c);
    }
    for (int64_t c = 0; c < C; ++c) {
      sumG[c] += sg[c];
      sumGX[c] += sgx[c];
    }
  }
}

// dx for channels [c, c + lanes) of G rows (kPartial: lanes < kLanes; else a whole vector).
// x and dx rows are ldx floats apart, dy and y rows C.
template <int A, bool R, bool kStream, bool kAccumulate, bool kPartial, int G>
static inline void backwardVector(const float* xr, const float* dyr, const float* yr, float* dxr,
                                  int64_t ldx, int64_t C, const float* mean, const float* affine,
                                  const float* a, const float* b, const float* d, int64_t c,
                                  int64_t lanes) {
  vfloat xv[G], z[G], g[G];
  for (int r = 0; r < G; ++r) {
    xv[r] = ld<kPartial>(xr + r * ldx + c, lanes);
    z[r] = R ? preActivation(xv[r], ld<kPartial>(affine + c, lanes),
                             ld<kPartial>(affine + C + c, lanes),
                             ld<kPartial>(affine + 2 * C + c, lanes),
                             ld<kPartial>(affine + 3 * C + c, lanes))
             : ld<kPartial>(yr + r * C + c, lanes);
    g[r] = ld<kPartial>(dyr + r * C + c, lanes);
  }
  maskGradients<A, G>(z, g);
  for (int r = 0; r < G; ++r) {
    vfloat v = ld<kPartial>(a + c, lanes) * g[r] +
               ld<kPartial>(b + c, lanes) * (xv[r] - ld<kPartial>(mean + c, lanes)) +
               ld<kPartial>(d + c, lanes);
    if (kAccumulate) v += ld<kPartial>(dxr + r * ldx + c, lanes);
    if (kStream && !kPartial)
      streamv(dxr + r * ldx + c, v);
    else
      st<kPartial>(dxr + r * ldx + c, v, lanes);
  }
}

// dx rows are ldx floats apart like x's; kAccumulate adds into dx instead of writing it.
template <int A, bool R, bool kStream, bool kAccumulate>
static void backwardApply(const float* x, const float* dy, const float* y, float* dx,
                          int64_t rows, int64_t C, int64_t ldx, const float* mean,
                          const float* affine, const float* a, const float* b, const float* d) {
  forRowGroups<kActivationRows<A>>(rows, [&](int64_t r, auto rowsConstant) {
    constexpr int G = decltype(rowsConstant)::value;
    const float* xr = x + r * ldx;
    const float* dyr = dy + r * C;
    const float* yr = A && !R ? y + r * C : dyr;
    float* dxr = dx + r * ldx;
    int64_t c = 0;
    for (; c + int64_t(kLanes) <= C; c += kLanes)
      backwardVector<A, R, kStream, kAccumulate, false, G>(xr, dyr, yr, dxr, ldx, C, mean, affine,
                                                           a, b, d, c, kLanes);
    if (c < C)
      backwardVector<A, R, false, kAccumulate, true, G>(xr, dyr, yr, dxr, ldx, C, mean, affine, a,
                                                        b, d, c, C - c);
  });
  if (kStream) streamFence();
}

// Calls run(integral_constant<int, activation>, bool_constant<stream>).
template <typename Run>
static inline void dispatchActivation(int activation, bool stream, Run run) {
  auto go = [&](auto a) {
    if (stream)
      run(a, std::true_type{});
    else
      run(a, std::false_type{});
  };
  if (activation == 1) return go(std::integral_constant<int, 1>{});
  if (activation == 2) return go(std::integral_constant<int, 2>{});
  if (activation == 3) return go(std::integral_constant<int, 3>{});
  go(std::integral_constant<int, 0>{});
}

// Streaming needs every row's vectors aligned: C a whole number of vectors, out aligned.
static inline bool canStream(const float* out, int64_t C) {
  return C % int64_t(kLanes) == 0 && reinterpret_cast<uintptr_t>(out) % kVectorBytes == 0;
}

}  // namespace batchnorm_detail

// Entry points with the activation and streaming choice resolved to template arguments.
#define CONVKIT_BN_ISA_ENTRY_POINTS(ISA)                                                        \
  void f32_bn_stats__##ISA(const float* x, int64_t rows, int64_t C, int64_t ldx,              \
                           double* count, double* mean, double* m2, float* scratch) {         \
    ISA::batchnorm_detail::stats(x, rows, C, ldx, count, mean, m2, scratch);                  \
  }                                                                                           \
  void f32_bn_apply__##ISA(const float* x, float* y, int64_t rows, int64_t C, int64_t ldx,    \
                           const float* meanHi, const float* meanLo, const float* scale,      \
                           const float* beta, const float* residual, int activation,          \
                           bool stream) {                                                     \
    using namespace ISA::batchnorm_detail;                                                    \
    const bool s = stream && canStream(y, C);                                                 \
    auto run = [&](auto a, auto st) {                                                         \
      constexpr int A = decltype(a)::value;                                                   \
      constexpr bool S = decltype(st)::value;                                                 \
      if (residual)                                                                           \
        apply<A, S, true>(x, y, rows, C, ldx, meanHi, meanLo, scale, beta, residual);         \
      else                                                                                    \
        apply<A, S, false>(x, y, rows, C, ldx, meanHi, meanLo, scale, beta, nullptr);         \
    };                                                                                        \
    dispatchActivation(activation, s, run);                                                   \
  }                                                                                           \
  void f32_bn_backward_sums__##ISA(const float* x, const float* dy, const float* y,           \
                                   int64_t rows, int64_t C, int64_t ldx, const float* mean,   \
                                   const float* affine, int activation, double* sumG,         \
                                   double* sumGX, float* scratch, float* gOut) {              \
    using namespace ISA::batchnorm_detail;                                                    \
    auto run = [&](auto act) {                                                                \
      constexpr int A = decltype(act)::value;                                                 \
      if ((A == 3 || (A && affine)) && gOut)                                                  \
        backwardSums<A, true, true>(x, dy, y, rows, C, ldx, mean, affine, sumG, sumGX,        \
                                    scratch, gOut);                                           \
      else if (A && gOut)                                                                     \
        backwardSums<A, false, true>(x, dy, y, rows, C, ldx, mean, nullptr, sumG, sumGX,      \
                                     scratch, gOut);                                          \
      else if (A == 3 || (A && affine))                                                       \
        backwardSums<A, true, false>(x, dy, y, rows, C, ldx, mean, affine, sumG, sumGX,       \
                                     scratch, nullptr);                                       \
      else                                                                                    \
        backwardSums<A, false, false>(x, dy, y, rows, C, ldx, mean, nullptr, sumG, sumGX,     \
                                      scratch, nullptr);                                      \
    };                                                                                        \
    dispatchActivation(activation, false, [&](auto act, auto) { run(act); });                 \
  }                                                                                           \
  void f32_bn_backward_apply__##ISA(const float* x, const float* dy, const float* y,          \
                                    float* dx, int64_t rows, int64_t C, int64_t ldx,          \
                                    const float* mean, const float* affine, const float* a,   \
                                    const float* b, const float* d, int activation,           \
                                    bool stream, bool accumulate) {                           \
    using namespace ISA::batchnorm_detail;                                                    \
    const bool s = stream && !accumulate && ldx == C && canStream(dx, C);                     \
    auto run = [&](auto act, auto st) {                                                       \
      constexpr int A = decltype(act)::value;                                                 \
      constexpr bool S = decltype(st)::value;                                                 \
      const bool recompute = A == 3 || (A && affine);                                         \
      auto go = [&](auto rec, auto acc) {                                                     \
        constexpr bool kR = decltype(rec)::value, kA = decltype(acc)::value;                  \
        backwardApply<A, kR, S && !kA, kA>(x, dy, y, dx, rows, C, ldx, mean,                  \
                                           kR ? affine : nullptr, a, b, d);                   \
      };                                                                                      \
      if (recompute && accumulate) go(std::true_type{}, std::true_type{});                    \
      if (recompute && !accumulate) go(std::true_type{}, std::false_type{});                  \
      if (!recompute && accumulate) go(std::false_type{}, std::true_type{});                  \
      if (!recompute && !accumulate) go(std::false_type{}, std::false_type{});                \
    };                                                                                        \
    dispatchActivation(activation, s, run);                                                   \
  }
