// Activation loops, compiled once per ISA: include inside `namespace convkit::isa::<isa>`
// after `constexpr int kLanes = <floats per vector>;` and the ISA's <cstdint>.
// Kind numbers are convkit::ActivationKind's (kernels/activation.h).
#pragma once

#include "activation_math.h"

namespace activation_detail {

enum Kind : int {
  kRelu = 0, kRelu6, kLeakyRelu, kSigmoid, kTanh, kSilu, kHardswish, kHardsigmoid, kGelu,
  kGeluTanh,
};

constexpr float kInvSqrt2Pi = 0.398942280401432678f;
constexpr float kGeluTanhBeta = 0.797884560802865356f;  // sqrt(2/pi)
constexpr float kGeluTanhKappa = 0.044715f;

template <int K>
static inline vfloat forwardOne(vfloat x, float param) {
  const vfloat zero = splat(0.0f);
  if constexpr (K == kRelu) {
    return x < zero ? zero : x;  // NaN passes through, like torch.relu
  } else if constexpr (K == kRelu6) {
    return x < zero ? zero : (x > splat(6.0f) ? splat(6.0f) : x);
  } else if constexpr (K == kLeakyRelu) {
    return x > zero ? x : x * param;
  } else if constexpr (K == kSigmoid) {
    return sigmoid(x);
  } else if constexpr (K == kTanh) {
    return vtanh(x);
  } else if constexpr (K == kSilu) {
    return x * sigmoid(x);
  } else if constexpr (K == kHardswish) {
    return x * vmin(vmax(x + splat(3.0f), zero), splat(6.0f)) / splat(6.0f);
  } else if constexpr (K == kHardsigmoid) {
    return vmin(vmax(x + splat(3.0f), zero), splat(6.0f)) / splat(6.0f);
  } else if constexpr (K == kGelu) {
    vfloat cdf, gauss;
    normalCdf(x, &cdf, &gauss);
    return x * cdf;
  } else {
    // 0.5 x (1 + tanh(u)) = x sigmoid(2u): same function, no cancellation for x << 0.
    const vfloat u = splat(kGeluTanhBeta) * (x + splat(kGeluTanhKappa) * (x * x * x));
    return x * sigmoid(u + u);
  }
}

template <int K>
static inline vfloat backwardOne(vfloat x, vfloat dy, float param) {
  const vfloat zero = splat(0.0f);
  if constexpr (K == kRelu) {
    return x > zero ? dy : zero;
  } else if constexpr (K == kRelu6) {
    return (x > zero) & (x < splat(6.0f)) ? dy : zero;  // hardtanh_backward: 0 at 0 and 6
  } else if constexpr (K == kLeakyRelu) {
    return x > zero ? dy : dy * param;
  } else if constexpr (K == kSigmoid) {
    vfloat s, c;
    sigmoidPair(x, &s, &c);
    return dy * (s * c);
  } else if constexpr (K == kTanh) {
    return dy * tanhDerivative(x);
  } else if constexpr (K == kSilu) {
    vfloat s, c;
    sigmoidPair(x, &s, &c);
    return dy * (s * (splat(1.0f) + x * c));
  } else if constexpr (K == kHardswish) {
    const vfloat mid = dy * (x / splat(3.0f) + splat(0.5f));
    return x < splat(-3.0f) ? zero : (x <= splat(3.0f) ? mid : dy);
  } else if constexpr (K == kHardsigmoid) {
    return (x > splat(-3.0f)) & (x < splat(3.0f)) ? dy / splat(6.0f) : zero;
  } else if constexpr (K == kGelu) {
    vfloat cdf, gauss;
    normalCdf(x, &cdf, &gauss);
    return dy * (cdf + x * (gauss * splat(kInvSqrt2Pi)));
  } else {
    const vfloat x2 = x * x;
    const vfloat u = splat(kGeluTanhBeta) * (x + splat(kGeluTanhKappa) * (x2 * x));
    const vfloat du = splat(kGeluTanhBeta) * (splat(1.0f) + splat(3.0f * kGeluTanhKappa) * x2);
    vfloat s, c;
    sigmoidPair(u + u, &s, &c);
    return dy * (s + splat(2.0f) * x * (s * c) * du);
  }
}

// Two vectors per iteration keep two independent dependency chains in flight; the tail goes
// through the same vector body via a zero-padded copy so every element sees the same math.
template <int K>
static void forwardLoop(float param, const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const vfloat a = forwardOne<K>(loadVector(x + i), param);
    const vfloat b = forwardOne<K>(loadVector(x + i + kLanes), param);
    storeVector(y + i, a);
    storeVector(y + i + kLanes, b);
  }
  for (; i < n; i += kLanes) {
    const int64_t m = n - i < kLanes ? n - i : kLanes;
    float in[kLanes] = {}, out[kLanes];
    for (int64_t j = 0; j < m; ++j) in[j] = x[i + j];
    storeVector(out, forwardOne<K>(loadVector(in), param));
    for (int64_t j = 0; j < m; ++j) y[i + j] = out[j];
  }
}

template <int K>
static void backwardLoop(float param, const float* x, const float* dy, float* dx, int64_t n) {
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const vfloat a = backwardOne<K>(loadVector(x + i), loadVector(dy + i), param);
    const vfloat b =
        backwardOne<K>(loadVector(x + i + kLanes), loadVector(dy + i + kLanes), param);
    storeVector(dx + i, a);
    storeVector(dx + i + kLanes, b);
  }
  for (; i < n; i += kLanes) {
    const int64_t m = n - i < kLanes ? n - i : kLanes;
    float in[kLanes] = {}, grad[kLanes] = {}, out[kLanes];
    for (int64_t j = 0; j < m; ++j) {
      in[j] = x[i + j];
      grad[j] = dy[i + j];
    }
    storeVector(out, backwardOne<K>(loadVector(in), loadVector(grad), param));
    for (int64_t j = 0; j < m; ++j) dx[i + j] = out[j];
  }
}

template <int K = 0>
static void forwardDispatch(int kind, float param, const float* x, float* y, int64_t n) {
  if constexpr (K <= kGeluTanh) {
    if (kind == K) return forwardLoop<K>(param, x, y, n);
    forwardDispatch<K + 1>(kind, param, x, y, n);
  }
}

template <int K = 0>
static void backwardDispatch(int kind, float param, const float* x, const float* dy, float* dx,
                             int64_t n) {
  if constexpr (K <= kGeluTanh) {
    if (kind == K) return backwardLoop<K>(param, x, dy, dx, n);
    backwardDispatch<K + 1>(kind, param, x, dy, dx, n);
  }
}

}  // namespace activation_detail
