// Depthwise 2-D convolution (groups = C, channel multiplier m) on NHWC activations:
//   x [N, H, W, C], weight [C*m, 1, KH, KW] (PyTorch layout), bias [C*m], y [N, OH, OW, C*m];
//   output channel c*m + j reads input channel c.
// A direct kernel vectorised across channels (one SIMD vector = 16 / 8 consecutive channels);
// weights are repacked per call to [KH*KW, Cout] so one vector load covers 16 output channels.
#pragma once

#include <cstdint>

#include "gemm.h"  // Activation

namespace convkit {

class BatchStats;  // batchnorm.h

struct DepthwiseGeometry {
  int64_t N, H, W, C;  // input
  int64_t multiplier;  // output channels = C * multiplier
  int64_t KH, KW;
  int64_t strideH, strideW;
  int64_t padTop, padBottom, padLeft, padRight;
  int64_t dilationH, dilationW;

  int64_t outChannels() const { return C * multiplier; }
  // PyTorch: floor((H + pads - dilation * (K - 1) - 1) / stride) + 1. The binding guarantees
  // the dilated kernel fits the padded input, so the numerator is >= 0.
  int64_t OH() const { return (H + padTop + padBottom - dilationH * (KH - 1) - 1) / strideH + 1; }
  int64_t OW() const { return (W + padLeft + padRight - dilationW * (KW - 1) - 1) / strideW + 1; }
};

// The input seen through a batch norm and its activation first (the norm that precedes the
// depthwise conv in MobileNet / EfficientNet blocks): x' = act(((x - meanHi) - meanLo) * scale
// + shift), computed a few rows at a time into a cache-sized buffer, so x' is never stored.
// affine is the norm's saveAffine, [meanHi | meanLo | scale | shift] of C floats each; the
// rows are made by the batch-norm apply kernel, bit for bit what the norm would have written.
struct DepthwiseInputNorm {
  const float* affine;
  int activation;  // BnActivation
};

// y = act(conv(x, weight) + bias). bias may be nullptr. Arguments are trusted (the binding
// validates them); uses the active ISA path and kernelThreads() threads. stats (may be null):
// also sums y's batch statistics, a few output rows at a time while they are in cache.
void depthwiseConv2dForward(const DepthwiseGeometry& g, const float* x, const float* weight,
                            const float* bias, Activation activation, float* y,
                            BatchStats* stats = nullptr, const DepthwiseInputNorm* norm = nullptr);
// The first pass of the backward of the batch norm that made the conv's input, x = act(bn(h)),
// taken while each run of dx is in cache: sums[0, C) += sum of g, sums[C, 2C) += sum of g *
// (h - mean), where g = dx masked by the activation's derivative (recomputed from h with the
// norm's affine); g replaces dx in place. batchNormBackward's givenSums then runs the rest.
struct DepthwiseNormGradient {
  const float* h;       // [N, H, W, C]
  const float* mean;    // the norm's saveMean [C]
  const float* affine;  // its saveAffine [4C]
  int activation;       // BnActivation
  double* sums;         // [2C], added to
};

// dx = gradient of the loss with respect to x, given dy [N, OH, OW, C*m]. Overwrites dx.
void depthwiseConv2dBackwardData(const DepthwiseGeometry& g, const float* dy,
                                 const float* weight, float* dx,
                                 const DepthwiseNormGradient* normGradient = nullptr);
// dweight [C*m, 1, KH, KW] and (when not nullptr) dbias [C*m]. Overwrites both.
void depthwiseConv2dBackwardWeights(const DepthwiseGeometry& g, const float* x, const float* dy,
                                    float* dweight, float* dbias,
                                    const DepthwiseInputNorm* norm = nullptr);

namespace ref {
// Naive loops straight from the definition, double accumulation; obviously right, slow.
void depthwiseConv2dForward(const DepthwiseGeometry& g, const float* x, const float* weight,
                            const float* bias, Activation activation, float* y);
void depthwiseConv2dBackwardData(const DepthwiseGeometry& g, const float* dy,
                                 const float* weight, float* dx);
void depthwiseConv2dBackwardWeights(const DepthwiseGeometry& g, const float* x, const float* dy,
                                    float* dweight, float* dbias);
}  // namespace ref

// Name of the kernel set the active path uses, e.g. "f32_depthwise__avx512".
const char* depthwiseKernelName();

}  // namespace convkit
