// Row kernels of a batch norm whose activated output h is scaled per sample and channel by a
// squeeze-and-excitation: out = h * s, s computed from the spatial mean of h (EfficientNet's
// MBConv). h itself is never stored: each pass recomputes it from x with the forward's affine
// ([meanHi | meanLo | scale | shift], as batchnorm_impl.h's preActivation). Compiled once per
// ISA: include inside `namespace convkit::isa::<isa>` after batchnorm_impl.h.
//
// Every kernel takes `width` channels of rows `C` floats apart; per-channel arrays (mean,
// affine's four parts, scales, sums) are offset to the first of them and keep C as the
// distance between their parts, so the driver can hand threads channel ranges.
#pragma once

namespace batchnorm_excite_detail {

using batchnorm_detail::forRowGroups;
using batchnorm_detail::kActivationRows;
using batchnorm_detail::ld;
using batchnorm_detail::preActivation;
using batchnorm_detail::st;

// h = act(z) and t = act'(z), the slope the backward multiplies by (as maskGradient's).
template <int A, typename V>
static inline void activationAndSlope(V z, V* h, V* t) {
  const V zero = V{} + 0.0f, one = V{} + 1.0f, six = V{} + 6.0f;
  if constexpr (A == 1) {
    *h = z < zero ? zero : z;
    *t = z > zero ? one : zero;
  } else if constexpr (A == 2) {
    *h = z < zero ? zero : (z > six ? six : z);
    *t = (z > zero) & (z < six) ? one : zero;
  } else if constexpr (A == 3) {
    if constexpr (std::is_same_v<V, float>) {
      const float s = 1.0f / (1.0f + std::exp(-z));
      *h = z * s;
      *t = s * (1.0f + z * (1.0f - s));
    } else {
      V s, c;
      math::sigmoidPair(z, &s, &c);
      *h = z * s;
      *t = s * (one + z * c);
    }
  } else {
    *h = z;
    *t = one;
  }
}

// activationAndSlope for G vectors (the SiLU's sigmoids interleaved: activation_math.h's
// sigmoidPairs).
template <int A, int G>
static inline void activationAndSlopes(const vfloat* z, vfloat* h, vfloat* t) {
  if constexpr (A == 3) {
    vfloat s[G], c[G];
    math::sigmoidPairs<G>(z, s, c);
    for (int g = 0; g < G; ++g) {
      h[g] = z[g] * s[g];
      t[g] = s[g] * (splat(1.0f) + z[g] * c[g]);
    }
  } else {
    for (int g = 0; g < G; ++g) activationAndSlope<A>(z[g], &h[g], &t[g]);
  }
}

struct Affine {
  vfloat hi, lo, scale, shift;
};

template <bool kPartial>
static inline Affine loadAffine(const float* affine, int64_t C, int64_t lanes) {
  return {ld<kPartial>(affine, lanes), ld<kPartial>(affine + C, lanes),
          ld<kPartial>(affine + 2 * C, lanes), ld<kPartial>(affine + 3 * C, lanes)};
}

// h and t of one vector of channels [c, c + lanes) of G rows (C floats apart), and x.
template <int A, int G, bool kPartial>
static inline void activationRows(const float* xr, int64_t C, const float* affine, int64_t c,
                                  int64_t lanes, vfloat* x, vfloat* h, vfloat* t) {
  const Affine f = loadAffine<kPartial>(affine + c, C, lanes);
  vfloat z[G];
  for (int g = 0; g < G; ++g) {
    x[g] = ld<kPartial>(xr + g * C + c, lanes);
    z[g] = preActivation(x[g], f.hi, f.lo, f.scale, f.shift);
  }
  activationAndSlopes<A, G>(z, h, t);
}

// sums += h for one vector of channels [c, c + lanes) of G rows. The sums stay in L1: rows
// are walked in memory order, which the prefetchers follow (accumulating a tile of rows per
// vector in registers instead ran at half the bandwidth: the strided misses did not overlap
// with the sigmoid's arithmetic).
template <int A, int G, bool kPartial>
static inline void activationSumsVector(const float* xr, int64_t C, const float* affine,
                                        float* sums, int64_t c, int64_t lanes) {
  vfloat x[G], h[G], t[G];
  activationRows<A, G, kPartial>(xr, C, affine, c, lanes, x, h, t);
  vfloat sum = ld<kPartial>(sums + c, lanes);
  for (int g = 0; g < G; ++g) sum += h[g];
  st<kPartial>(sums + c, sum, lanes);
}

// out = h * s for one vector of channels [c, c + lanes) of G rows.
template <int A, int G, bool kStream, bool kPartial>
static inline void applyScaledVector(const float* xr, float* outr, int64_t C, const float* affine,
                                     const float* s, int64_t c, int64_t lanes) {
  vfloat x[G], h[G], t[G];
  activationRows<A, G, kPartial>(xr, C, affine, c, lanes, x, h, t);
  const vfloat scale = ld<kPartial>(s + c, lanes);
  for (int g = 0; g < G; ++g) {
    if (kStream && !kPartial)
      streamv(outr + g * C + c, h[g] * scale);
    else
      st<kPartial>(outr + g * C + c, h[g] * scale, lanes);
  }
}

// The five backward sums for one vector of channels of G rows (each part C floats apart in
// `sums`): dOut * h, dOut * t, dOut * t * (x - mean), t, t * (x - mean).
template <int A, int G, bool kPartial>
static inline void backwardSumsVector(const float* xr, const float* dr, int64_t C,
                                      const float* mean, const float* affine, float* sums,
                                      int64_t c, int64_t lanes) {
  vfloat x[G], h[G], t[G];
  activationRows<A, G, kPartial>(xr, C, affine, c, lanes, x, h, t);
  const vfloat m = ld<kPartial>(mean + c, lanes);
  float* p = sums + c;
  vfloat s0 = ld<kPartial>(p, lanes), s1 = ld<kPartial>(p + C, lanes),
         s2 = ld<kPartial>(p + 2 * C, lanes), s3 = ld<kPartial>(p + 3 * C, lanes),
         s4 = ld<kPartial>(p + 4 * C, lanes);
  for (int g = 0; g < G; ++g) {
    const vfloat dv = ld<kPartial>(dr + g * C + c, lanes), xm = x[g] - m, dt = dv * t[g];
    s0 += dv * h[g];
    s1 += dt;
    s2 += dt * xm;
    s3 += t[g];
    s4 += t[g] * xm;
  }
  st<kPartial>(p, s0, lanes);
  st<kPartial>(p + C, s1, lanes);
  st<kPartial>(p + 2 * C, s2, lanes);
  st<kPartial>(p + 3 * C, s3, lanes);
  st<kPartial>(p + 4 * C, s4, lanes);
}

// dx = a * (dOut * s + q) * t + b * (x - mean) + d for one vector of channels of G rows.
template <int A, int G, bool kStream, bool kPartial>
static inline void backwardApplyVector(const float* xr, const float* dr, float* dxr, int64_t C,
                                       const float* mean, const float* affine, const float* s,
                                       const float* q, const float* a, const float* b,
                                       const float* d, int64_t c, int64_t lanes) {
  vfloat x[G], h[G], t[G];
  activationRows<A, G, kPartial>(xr, C, affine, c, lanes, x, h, t);
  const vfloat sv = ld<kPartial>(s + c, lanes), qv = ld<kPartial>(q + c, lanes),
               av = ld<kPartial>(a + c, lanes), bv = ld<kPartial>(b + c, lanes),
               dv = ld<kPartial>(d + c, lanes), m = ld<kPartial>(mean + c, lanes);
  for (int g = 0; g < G; ++g) {
    const vfloat grad = (ld<kPartial>(dr + g * C + c, lanes) * sv + qv) * t[g];
    const vfloat v = av * grad + bv * (x[g] - m) + dv;
    if (kStream && !kPartial)
      streamv(dxr + g * C + c, v);
    else
      st<kPartial>(dxr + g * C + c, v, lanes);
  }
}

// Runs body(offset, integral_constant<bool, partial>, lanes) over `width` channels: whole
// vectors, then the tail as one partial vector.
template <typename Body>
static inline void forEachVector(int64_t width, Body body) {
  int64_t c = 0;
  for (; c + int64_t(kLanes) <= width; c += kLanes) body(c, std::false_type{}, int64_t(kLanes));
  if (c < width) body(c, std::true_type{}, width - c);
}

// Runs body(row, offset, integral_constant<int, G>, integral_constant<bool, partial>, lanes)
// over rows x `width` channels: G = kActivationRows<A> rows at a time (then single rows), each
// vector of channels of those rows in one call.
template <int A, typename Body>
static inline void forEachRowVector(int64_t rows, int64_t width, Body body) {
  forRowGroups<kActivationRows<A>>(rows, [&](int64_t r, auto rowsConstant) {
    forEachVector(width, [&](int64_t c, auto partial, int64_t lanes) {
      body(r, c, rowsConstant, partial, lanes);
    });
  });
}

// Calls run(integral_constant<int, activation>).
template <typename Run>
static inline void dispatch(int activation, Run run) {
  if (activation == 1) return run(std::integral_constant<int, 1>{});
  if (activation == 2) return run(std::integral_constant<int, 2>{});
  if (activation == 3) return run(std::integral_constant<int, 3>{});
  run(std::integral_constant<int, 0>{});
}

}  // namespace batchnorm_excite_detail

#define CONVKIT_BN_EXCITE_ISA_ENTRY_POINTS(ISA)                                                 \
  void f32_bn_activation_sums__##ISA(const float* x, int64_t rows, int64_t width, int64_t C,    \
                                     const float* affine, int activation, float* sums) {        \
    using namespace ISA::batchnorm_excite_detail;                                               \
    dispatch(activation, [&](auto act) {                                                        \
      constexpr int A = decltype(act)::value;                                                   \
      forEachRowVector<A>(rows, width, [&](int64_t r, int64_t c, auto g, auto partial,          \
                                           int64_t lanes) {                                     \
        activationSumsVector<A, decltype(g)::value, decltype(partial)::value>(                  \
            x + r * C, C, affine, sums, c, lanes);                                              \
      });                                                                                       \
    });                                                                                         \
  }                                                                                             \
  void f32_bn_apply_scaled__##ISA(const float* x, float* out, int64_t rows, int64_t width,      \
                                  int64_t C, const float* affine, const float* s,               \
                                  int activation, bool stream) {                                \
    using namespace ISA::batchnorm_excite_detail;                                               \
    const bool streaming = stream && ISA::batchnorm_detail::canStream(out, C);                  \
    dispatch(activation, [&](auto act) {                                                        \
      constexpr int A = decltype(act)::value;                                                   \
      forEachRowVector<A>(rows, width, [&](int64_t r, int64_t c, auto g, auto partial,          \
                                           int64_t lanes) {                                     \
        constexpr int G = decltype(g)::value;                                                   \
        constexpr bool P = decltype(partial)::value;                                            \
        if (streaming)                                                                          \
          applyScaledVector<A, G, true, P>(x + r * C, out + r * C, C, affine, s, c, lanes);     \
        else                                                                                    \
          applyScaledVector<A, G, false, P>(x + r * C, out + r * C, C, affine, s, c, lanes);    \
      });                                                                                       \
    });                                                                                         \
    if (streaming) ISA::streamFence();                                                          \
  }                                                                                             \
  void f32_bn_excite_backward_sums__##ISA(const float* x, const float* dOut, int64_t rows,      \
                                          int64_t width, int64_t C, const float* mean,          \
                                          const float* affine, int activation, float* sums) {   \
    using namespace ISA::batchnorm_excite_detail;                                               \
    dispatch(activation, [&](auto act) {                                                        \
      constexpr int A = decltype(act)::value;                                                   \
      forEachRowVector<A>(rows, width, [&](int64_t r, int64_t c, auto g, auto partial,          \
                                           int64_t lanes) {                                     \
        backwardSumsVector<A, decltype(g)::value, decltype(partial)::value>(                    \
            x + r * C, dOut + r * C, C, mean, affine, sums, c, lanes);                          \
      });                                                                                       \
    });                                                                                         \
  }                                                                                             \
  void f32_bn_excite_backward_apply__##ISA(                                                     \
      const float* x, const float* dOut, float* dx, int64_t rows, int64_t width, int64_t C,     \
      const float* mean, const float* affine, const float* s, const float* q, const float* a,   \
      const float* b, const float* d, int activation, bool stream) {                            \
    using namespace ISA::batchnorm_excite_detail;                                               \
    const bool streaming = stream && ISA::batchnorm_detail::canStream(dx, C);                   \
    dispatch(activation, [&](auto act) {                                                        \
      constexpr int A = decltype(act)::value;                                                   \
      forEachRowVector<A>(rows, width, [&](int64_t r, int64_t c, auto g, auto partial,          \
                                           int64_t lanes) {                                     \
        constexpr int G = decltype(g)::value;                                                   \
        constexpr bool P = decltype(partial)::value;                                            \
        const int64_t o = r * C;                                                                \
        if (streaming)                                                                          \
          backwardApplyVector<A, G, true, P>(x + o, dOut + o, dx + o, C, mean, affine, s, q, a, \
                                             b, d, c, lanes);                                   \
        else                                                                                    \
          backwardApplyVector<A, G, false, P>(x + o, dOut + o, dx + o, C, mean, affine, s, q,   \
                                              a, b, d, c, lanes);                               \
      });                                                                                       \
    });                                                                                         \
    if (streaming) ISA::streamFence();                                                          \
  }
