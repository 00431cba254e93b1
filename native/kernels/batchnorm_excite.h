// A batch norm + activation whose output h is scaled per sample and channel by s, a function
// of h's spatial mean: a squeeze-and-excitation right after the norm (EfficientNet's MBConv:
// depthwise conv, BN + SiLU, SE). h is never stored: every pass recomputes it from x with the
// forward's saveAffine (batchNormForwardTraining / batchNormForwardEval with y null), so the
// forward reads x twice and writes out once (instead of writing h, reading it for the pool,
// reading it again to scale it), and the backward reads x and dOut twice and writes dx once
// (instead of a spatial dot, a scale, a broadcast add and the two-pass norm backward).
//
// x, dOut, out, dx: N samples of HW rows of C channels, contiguous. Per-(sample, channel)
// arrays (pooled, s, poolGrad) are N x C. Arguments are trusted: the binding validates them.
#pragma once

#include <cstdint>

#include "batchnorm.h"

namespace convkit {

// pooled[n, c] = the mean of h over sample n's rows.
void batchNormExcitePool(int64_t N, int64_t HW, int64_t C, const float* x, const float* affine,
                         BnActivation activation, float* pooled);

// out = h * s[n, c].
void batchNormExciteApply(int64_t N, int64_t HW, int64_t C, const float* x, const float* affine,
                          BnActivation activation, const float* s, float* out);

// sums (5 x N x C), per sample and channel over its rows: dOut * h (the gradient of s),
// dOut * t, dOut * t * (x - mean), t, t * (x - mean), where t = act'(pre-activation).
void batchNormExciteBackwardSums(int64_t N, int64_t HW, int64_t C, const float* x,
                                 const float* dOut, const float* mean, const float* affine,
                                 BnActivation activation, float* sums);

// The batch-norm backward for dh = dOut * s + poolGrad / HW (poolGrad: the gradient of the
// pooled mean), from batchNormExciteBackwardSums' sums: dx, and dgamma / dbeta (may be null).
// mean / invstd as batchNormBackward's (training=false: the running statistics).
void batchNormExciteBackward(int64_t N, int64_t HW, int64_t C, const float* x, const float* dOut,
                             const float* gamma, const float* mean, const float* invstd,
                             const float* affine, BnActivation activation, const float* s,
                             const float* poolGrad, const float* sums, bool training, float* dx,
                             float* dgamma, float* dbeta);

}  // namespace convkit
