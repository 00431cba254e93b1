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

struct Affine {
  vfloat hi, lo, scale, shift;
};

template <bool kPartial>
static inline Affine loadAffine(const float* affine, int64_t C, int64_t lanes) {
  return {ld<kPartial>(affine, lanes), ld<kPartial>(affine + C, lanes),
          ld<kPartial>(affine + 2 * C, lanes), ld<kPartial>(affine + 3 * C, lanes)};
}

// sums += h for one vector of channels [c, c + lanes) of one row. The sums stay in L1: rows
// are walked in memory order, which the prefetchers follow (accumulating a tile of rows per
// vector in registers instead ran at half the bandwidth: the strided misses did not overlap
// with the sigmoid's arithmetic).
template <int A, bool kPartial>
static inline void activationSumsVector(const float* xr, int64_t C, const float* affine,
                                        float* sums, int64_t c, int64_t lanes) {
  const Affine f = loadAffine<kPartial>(affine + c, C, lanes);
  vfloat h, t;
  activationAndSlope<A>(preActivation(ld<kPartial>(xr + c, lanes), f.hi, f.lo, f.scale, f.shift),
                        &h, &t);
  st<kPartial>(sums + c, ld<kPartial>(sums + c, lanes) + h, lanes);
}

// out = h * s for one vector of channels [c, c + lanes) of one row.
template <int A, bool kStream, bool kPartial>
static inline void applyScaledVector(const float* xr, float* outr, int64_t C, const float* affine,
                                     const float* s, int64_t c, int64_t lanes) {
  const Affine f = loadAffine<kPartial>(affine + c, C, lanes);
  vfloat h, t;
  activationAndSlope<A>(preActivation(ld<kPartial>(xr + c, lanes), f.hi, f.lo, f.scale, f.shift),
                        &h, &t);
  const vfloat v = h * ld<kPartial>(s + c, lanes);
  if (kStream && !kPartial)
    streamv(outr + c, v);
  else
    st<kPartial>(outr + c, v, lanes);
}

// The five backward sums for one vector of channels of one row (each part C floats apart in
// `sums`): dOut * h, dOut * t, dOut * t * (x - mean), t, t * (x - mean).
template <int A, bool kPartial>
static inline void backwardSumsVector(const float* xr, const float* dr, int64_t C,
                                      const float* mean, const float* affine, float* sums,
                                      int64_t c, int64_t lanes) {
  const Affine f = loadAffine<kPartial>(affine + c, C, lanes);
  const vfloat xv = ld<kPartial>(xr + c, lanes), dv = ld<kPartial>(dr + c, lanes);
  vfloat h, t;
  activationAndSlope<A>(preActivation(xv, f.hi, f.lo, f.scale, f.shift), &h, &t);
  const vfloat xm = xv - ld<kPartial>(mean + c, lanes), dt = dv * t;
  float* p = sums + c;
  st<kPartial>(p, ld<kPartial>(p, lanes) + dv * h, lanes);
  st<kPartial>(p + C, ld<kPartial>(p + C, lanes) + dt, lanes);
  st<kPartial>(p + 2 * C, ld<kPartial>(p + 2 * C, lanes) + dt * xm, lanes);
  st<kPartial>(p + 3 * C, ld<kPartial>(p + 3 * C, lanes) + t, lanes);
  st<kPartial>(p + 4 * C, ld<kPartial>(p + 4 * C, lanes) + t * xm, lanes);
}

// dx = a * (dOut * s + q) * t + b * (x - mean) + d for one vector of channels of one row.
template <int A, bool kStream, bool kPartial>
static inline void backwardApplyVector(const float* xr, const float* dr, float* dxr, int64_t C,
                                       const float* mean, const float* affine, const float* s,
                                       const float* q, const float* a, const float* b,
                                       const float* d, int64_t c, int64_t lanes) {
  const Affine f = loadAffine<kPartial>(affine + c, C, lanes);
  const vfloat xv = ld<kPartial>(xr + c, lanes);
  vfloat h, t;
  activationAndSlope<A>(preActivation(xv, f.hi, f.lo, f.scale, f.shift), &h, &t);
  const vfloat g = (ld<kPartial>(dr + c, lanes) * ld<kPartial>(s + c, lanes) +
                    ld<kPartial>(q + c, lanes)) * t;
  const vfloat v = ld<kPartial>(a + c, lanes) * g +
                   ld<kPartial>(b + c, lanes) * (xv - ld<kPartial>(mean + c, lanes)) +
                   ld<kPartial>(d + c, lanes);
  if (kStream && !kPartial)
    streamv(dxr + c, v);
  else
    st<kPartial>(dxr + c, v, lanes);
}

// Runs body(offset, integral_constant<bool, partial>, lanes) over `width` channels: whole
// vectors, then the tail as one partial vector.
template <typename Body>
static inline void forEachVector(int64_t width, Body body) {
  int64_t c = 0;
  for (; c + int64_t(kLanes) <= width; c += kLanes) body(c, std::false_type{}, int64_t(kLanes));
  if (c < width) body(c, std::true_type{}, width - c);
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
  void f32_bn_activation_sums__##ISA(const float* x, int64_t rows, int64_t width, int64_t C,  \
                                     const float* affine, int activation, float* sums) {      \
    using namespace ISA::batchnorm_excite_detail;                                             \
    dispatch(activation, [&](auto act) {                                                      \
      constexpr int A = decltype(act)::value;                                                 \
      for (int64_t r = 0; r < rows; ++r)                                                      \
        forEachVector(width, [&](int64_t c, auto partial, int64_t lanes) {                    \
          activationSumsVector<A, decltype(partial)::value>(x + r * C, C, affine, sums, c,    \
                                                            lanes);                           \
        });                                                                                   \
    });                                                                                       \
  }                                                                                           \
  void f32_bn_apply_scaled__##ISA(const float* x, float* out, int64_t rows, int64_t width,    \
                                  int64_t C, const float* affine, const float* s,             \
                                  int activation, bool stream) {                              \
    using namespace ISA::batchnorm_excite_detail;                                             \
    const bool streaming = stream && ISA::batchnorm_detail::canStream(out, C);                \
    dispatch(activation, [&](auto act) {                                                      \
      constexpr int A = decltype(act)::value;                                                 \
      for (int64_t r = 0; r < rows; ++r)                                                      \
        forEachVector(width, [&](int64_t c, auto partial, int64_t lanes) {                    \
          constexpr bool P = decltype(partial)::value;                                        \
          if (streaming)                                                                      \
            applyScaledVector<A, true, P>(x + r * C, out + r * C, C, affine, s, c, lanes);    \
          else                                                                                \
            applyScaledVector<A, false, P>(x + r * C, out + r * C, C, affine, s, c, lanes);   \
        });                                                                                   \
    });                                                                                       \
    if (streaming) ISA::streamFence();                                                        \
  }                                                                                           \
  void f32_bn_excite_backward_sums__##ISA(const float* x, const float* dOut, int64_t rows,    \
                                          int64_t width, int64_t C, const float* mean,        \
                                          const float* affine, int activation, float* sums) { \
    using namespace ISA::batchnorm_excite_detail;                                             \
    dispatch(activation, [&](auto act) {                                                      \
      constexpr int A = decltype(act)::value;                                                 \
      for (int64_t r = 0; r < rows; ++r)                                                      \
        forEachVector(width, [&](int64_t c, auto partial, int64_t lanes) {                    \
          backwardSumsVector<A, decltype(partial)::value>(x + r * C, dOut + r * C, C, mean,   \
                                                          affine, sums, c, lanes);            \
        });                                                                                   \
    });                                                                                       \
  }                                                                                           \
  void f32_bn_excite_backward_apply__##ISA(                                                   \
      const float* x, const float* dOut, float* dx, int64_t rows, int64_t width, int64_t C,   \
      const float* mean, const float* affine, const float* s, const float* q, const float* a, \
      const float* b, const float* d, int activation, bool stream) {                          \
    using namespace ISA::batchnorm_excite_detail;                                             \
    const bool streaming = stream && ISA::batchnorm_detail::canStream(dx, C);                 \
    dispatch(activation, [&](auto act) {                                                      \
      constexpr int A = decltype(act)::value;                                                 \
      for (int64_t r = 0; r < rows; ++r)                                                      \
        forEachVector(width, [&](int64_t c, auto partial, int64_t lanes) {                    \
          constexpr bool P = decltype(partial)::value;                                        \
          const int64_t o = r * C;                                                            \
          if (streaming)                                                                      \
            backwardApplyVector<A, true, P>(x + o, dOut + o, dx + o, C, mean, affine, s, q,   \
                                            a, b, d, c, lanes);                               \
          else                                                                                \
            backwardApplyVector<A, false, P>(x + o, dOut + o, dx + o, C, mean, affine, s, q,  \
                                             a, b, d, c, lanes);                              \
        });                                                                                   \
    });                                                                                       \
    if (streaming) ISA::streamFence();                                                        \
  }
