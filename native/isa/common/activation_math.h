// Vector exp / sigmoid / tanh / normal CDF on GCC vector extensions, compiled once per ISA:
// include inside `namespace convkit::isa::<isa>` after `constexpr int kLanes = <floats>;`.
// Branch-free (both sides of every case are computed and selected), so one body serves
// every lane width. Needs -std=c++17 without -ffast-math (the error-free split in
// normalCdf relies on exact float arithmetic, and no NaN/inf tricks are assumed).
//
// Accuracy (max relative error against double libm, measured by test/kernels/activation):
//  - expNonPositive: Cephes expf: n = round(x log2 e), r = x - n ln2 (Cody-Waite two-part
//    ln2), exp(r) = 1 + r + r^2 P(r) with P of degree 5 (Cephes' minimax coefficients),
//    times 2^n built in the exponent bits. < 2e-7 relative; flushes to 0 below -87.33
//    (where the true value is subnormal).
//  - sigmoid: e = exp(-x) (clamped to normal floats), 1/(1+e) and e/(1+e): both tails keep
//    full relative accuracy down to sigmoid(-88).
//  - tanh: |x| < 0.625: Cephes tanhf odd polynomial x + x^3 Q(x^2), Q of degree 4;
//    otherwise (1-e)/(1+e) with e = exp(-2|x|) (no cancellation there: e < 0.29).
//  - normalCdf Phi(x) = (1 + erf(x/sqrt2))/2: |x/sqrt2| < 1: erf(z) = z T(z^2) (Cephes erff,
//    degree 6 in z^2, 1.7e-7); else erfc(z) = exp(-z^2)/z * P(1/z^2) (Cephes erfcf, degree 8
//    for z < 2, R degree 7 beyond, 3e-7), with exp(-x^2/2) computed from an exact split
//    x = xh + xl (xh keeps 12 significant bits so xh^2 is exact) as exp(-xh^2/2) *
//    exp(-xl (xh + x)/2): rounding x^2 directly would cost ~x^2 * 6e-8 relative in the tail.
#pragma once

typedef float vfloat __attribute__((vector_size(kLanes * 4)));
typedef int32_t vint __attribute__((vector_size(kLanes * 4)));

// Every lane = v: a plain broadcast (see simd.h's splat).
static inline vfloat splat(float v) { return v - vfloat{}; }

static inline vfloat loadVector(const float* p) {
  vfloat v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

static inline void storeVector(float* p, vfloat v) { __builtin_memcpy(p, &v, sizeof v); }

static inline vfloat vabs(vfloat x) { return (vfloat)((vint)x & 0x7fffffff); }

static inline vfloat vmax(vfloat a, vfloat b) { return a < b ? b : a; }
static inline vfloat vmin(vfloat a, vfloat b) { return b < a ? b : a; }

// exp(x[u]) for U vectors, each x in [-87.33, 88.0] (clamped to it: results 1.2e-38 ..
// 1.65e38, normal floats, so no select is needed at either end). Step by step across the U
// vectors: one exp is a chain of ~15 dependent operations, and the core's schedulers hold too
// few of them to overlap whole chains written one after another (a SiLU loop ran ~17 cycles
// per vector; 4 chains interleaved ~13.5, 8 ~12; Zen 5).
// How many to interleave: 8 with 32 vector registers (AVX-512; 16 spilled and ran slower),
// 4 with 16 (AVX2, SSE).
constexpr int kSigmoidBatch = kLanes >= 16 ? 8 : 4;

template <int U>
static inline void expsClamped(vfloat* x) {
  const vfloat magic = splat(12582912.0f);  // 1.5 * 2^23: adding it rounds to an integer
  vfloat n[U], r[U], p[U];
  vint e[U];
  for (int u = 0; u < U; ++u) {
    x[u] = vmin(vmax(x[u], splat(-87.3365447504f)), splat(88.0f));
    const vfloat t = x[u] * splat(1.44269504088896341f) + magic;
    n[u] = t - magic;
    e[u] = (((vint)t - (vint)magic) + 127) << 23;
  }
  for (int u = 0; u < U; ++u) r[u] = x[u] - n[u] * splat(0.693359375f);
  for (int u = 0; u < U; ++u) r[u] = r[u] - n[u] * splat(-2.12194440e-4f);
  for (int u = 0; u < U; ++u) p[u] = splat(1.9875691500e-4f) * r[u] + splat(1.3981999507e-3f);
  for (int u = 0; u < U; ++u) p[u] = p[u] * r[u] + splat(8.3334519073e-3f);
  for (int u = 0; u < U; ++u) p[u] = p[u] * r[u] + splat(4.1665795894e-2f);
  for (int u = 0; u < U; ++u) p[u] = p[u] * r[u] + splat(1.6666665459e-1f);
  for (int u = 0; u < U; ++u) p[u] = p[u] * r[u] + splat(5.0000001201e-1f);
  for (int u = 0; u < U; ++u) p[u] = p[u] * r[u] * r[u] + r[u] + splat(1.0f);
  for (int u = 0; u < U; ++u) x[u] = p[u] * (vfloat)e[u];
}

static inline vfloat expClamped(vfloat x) {
  expsClamped<1>(&x);
  return x;
}

// exp(x) for x <= 0 (positive inputs are clamped to 0; 0 below -87.33).
static inline vfloat expNonPositive(vfloat x) {
  const vint underflow = x < splat(-87.3365447504f);
  const vfloat y = expClamped(vmin(x, splat(0.0f)));
  return underflow ? splat(0.0f) : y;
}

// sigmoid(x) = 1 / (1 + e) and sigmoid(-x) = 1 - sigmoid(x) = e / (1 + e), e = exp(-x), for
// U vectors (interleaved, as expsClamped): each with full relative accuracy on both sides (no
// cancellation, and no select between two forms: this is the inner loop of every SiLU pass).
// Below x = -88 the sigmoid is kept at ~6e-39 rather than its smaller true value.
template <int U>
static inline void sigmoidPairs(const vfloat* x, vfloat* positive, vfloat* negative) {
  vfloat e[U];
  for (int u = 0; u < U; ++u) e[u] = -x[u];
  expsClamped<U>(e);
  for (int u = 0; u < U; ++u) positive[u] = splat(1.0f) / (splat(1.0f) + e[u]);
  for (int u = 0; u < U; ++u) negative[u] = e[u] * positive[u];
}

static inline void sigmoidPair(vfloat x, vfloat* positive, vfloat* negative) {
  sigmoidPairs<1>(&x, positive, negative);
}

static inline vfloat sigmoid(vfloat x) { return splat(1.0f) / (splat(1.0f) + expClamped(-x)); }

static inline vfloat vtanh(vfloat x) {
  const vfloat a = vabs(x);
  const vfloat z = x * x;
  vfloat q = splat(-5.70498872745e-3f);
  q = q * z + splat(2.06390887954e-2f);
  q = q * z + splat(-5.37397155531e-2f);
  q = q * z + splat(1.33314422036e-1f);
  q = q * z + splat(-3.33332819422e-1f);
  const vfloat small = q * z * x + x;
  const vfloat e = expNonPositive(splat(-2.0f) * a);
  const vfloat large = (splat(1.0f) - e) / (splat(1.0f) + e);
  const vfloat signedLarge = (vfloat)((vint)large | ((vint)x & (int32_t)0x80000000));
  return a < splat(0.625f) ? small : signedLarge;
}

// 1 - tanh(x)^2, as 4e / (1 + e)^2 (e = exp(-2|x|)) where tanh is near +-1: 1 - t^2 there
// would keep no correct digit of the small result.
static inline vfloat tanhDerivative(vfloat x) {
  const vfloat t = vtanh(x);
  const vfloat e = expNonPositive(splat(-2.0f) * vabs(x));
  const vfloat onePlus = splat(1.0f) + e;
  const vfloat tail = splat(4.0f) * e / (onePlus * onePlus);
  return vabs(x) < splat(0.625f) ? splat(1.0f) - t * t : tail;
}

// Phi(x) = P(N(0,1) <= x) and the density exp(-x^2/2) (without the 1/sqrt(2 pi) factor).
static inline void normalCdf(vfloat x, vfloat* cdf, vfloat* gauss) {
  const vfloat a = vabs(x);
  const vfloat ah = (vfloat)((vint)a & (int32_t)0xfffff000);
  const vfloat al = a - ah;
  const vfloat e = expNonPositive(splat(-0.5f) * (ah * ah)) *
                   expNonPositive(splat(-0.5f) * (al * (ah + a)));
  *gauss = e;
  // |z| < 1: erf(z) = z T(z^2).
  const vfloat z = x * splat(0.70710678118654752f);
  const vfloat z2 = z * z;
  vfloat t = splat(7.853861353153693e-5f);
  t = t * z2 + splat(-8.010193625184903e-4f);
  t = t * z2 + splat(5.188327685732524e-3f);
  t = t * z2 + splat(-2.685381193529856e-2f);
  t = t * z2 + splat(1.128358514861418e-1f);
  t = t * z2 + splat(-3.761262582423300e-1f);
  t = t * z2 + splat(1.128379165726710f);
  const vfloat smallCdf = splat(0.5f) + splat(0.5f) * (z * t);
  // |z| >= 1: erfc(|z|) = exp(-z^2) / |z| * P(1/z^2), with 1/|z| = sqrt2/|x|, 1/z^2 = 2/x^2.
  const vfloat w = splat(2.0f) / (a * a);
  vfloat p = splat(2.326819970068386e-2f);
  p = p * w + splat(-1.387039388740657e-1f);
  p = p * w + splat(3.687424674597105e-1f);
  p = p * w + splat(-5.824733027278666e-1f);
  p = p * w + splat(6.210004621745983e-1f);
  p = p * w + splat(-4.944515323274145e-1f);
  p = p * w + splat(3.404879937665872e-1f);
  p = p * w + splat(-2.741127028184656e-1f);
  p = p * w + splat(5.638259427386472e-1f);
  vfloat r = splat(-1.047766399936249e+1f);
  r = r * w + splat(1.297719955372516e+1f);
  r = r * w + splat(-7.495518717768503f);
  r = r * w + splat(2.921019019210786f);
  r = r * w + splat(-1.015265279202700f);
  r = r * w + splat(4.218463358204948e-1f);
  r = r * w + splat(-2.820767439740514e-1f);
  r = r * w + splat(5.641895067754075e-1f);
  const vfloat poly = a < splat(2.82842712474619f) ? p : r;  // |z| < 2
  const vfloat halfErfc = splat(0.5f) * (e * (splat(1.41421356237309505f) / a) * poly);
  const vfloat largeCdf = x > splat(0.0f) ? splat(1.0f) - halfErfc : halfErfc;
  *cdf = a < splat(1.41421356237309505f) ? smallCdf : largeCdf;
}
