// Backward-weights of 1x1 convolutions beyond the in-place microkernel (conv_implicit.h):
// as one GEMM where few rows or a large dW make that faster, and strided 1x1s (ResNet's
// downsampling shortcuts) on their sampled pixels. conv.cc chooses them for automatic calls.
// And the 1x1 backward-data with the first pass of the backward of the norm that made x.
#pragma once

#include "conv.h"

namespace convkit {

// 1x1 stride 1, one group, and <= 1024 rows, a dW of 2M+ floats, or <= 4096 rows with a dW of
// 64K+ floats (conv_pointwise.cc).
bool weightsGemmApplies(const Conv2dParams& p);
// dW = dY^T X as one GEMM (+ dbias when not null).
void weightsGemmBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                                float* dbias);

// 1x1 with stride > 1, no padding, one group, whose sampled stride-1 problem takes
// weightsGemm or the in-place microkernel.
bool sampledWeightsApplies(const Conv2dParams& p);
// Gathers the sampled pixels and runs conv2dBackwardWeights on them (automatic).
void sampledBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                            float* dbias);

// The conv's input is x = act(bn(h)): the first pass of the norm's backward, taken on each run
// of dx rows right after the GEMM wrote it (in L2): sums[0, C) += sum of g, sums[C, 2C) += sum
// of g * (h - mean), g = dx masked by the activation's derivative (recomputed from h with the
// norm's affine), and g replaces dx. batchNormBackward's `sums` runs the rest. (As the
// depthwise conv's DepthwiseNormGradient; h's rows may be wider than C: a DenseNet buffer.)
struct PointwiseNormGradient {
  const float* h;       // rows x ldh, its first Cin channels normalised
  int64_t ldh;          // >= Cin
  const float* mean;    // the norm's saveMean [Cin]
  const float* affine;  // its saveAffine [4 Cin]
  int activation;       // BnActivation
  double* sums;         // [2 Cin], added to
};
// 1x1, stride 1, no padding, one group.
bool pointwiseNormGradientApplies(const Conv2dParams& p);
// dx = dy W (overwritten), then the norm's sums as above; dx holds g on return.
void pointwiseBackwardDataNormGradient(const Conv2dParams& p, const float* dy, const float* w,
                                       float* dx, const PointwiseNormGradient& norm);

// The other way round: the conv made h = conv(x) and a batch norm (with its activation) read h;
// g is that norm's masked output gradient and `sums` its first-pass sums (taken by the next
// conv's data gradient: DepthwiseNormGradient). The norm's second pass, dh = a g + b (h - mean)
// + d, runs on each chunk of rows into a cache-sized buffer, and both of the conv's gradients
// read dh there: it is never stored (MobileNetV2's expansion: a write and two reads of the
// expanded tensor less than the norm's backward, then the conv's).
struct PointwiseNormApply {
  const float* h;       // rows x Cout, the conv's output
  const float* g;       // rows x Cout
  const float* mean;    // the norm's saveMean [Cout]
  const float* invstd;  // its saveInvstd [Cout]
  const float* gamma;   // [Cout] or null
  bool training;
  const double* sums;  // [2 Cout]: sum of g, sum of g * (h - mean)
};
// Where the chunked path pays (conv_pointwise.cc); elsewhere pointwiseBackwardNormApplied stores
// dh and runs the conv's usual gradients.
bool pointwiseNormApplyApplies(const Conv2dParams& p);
// 1x1, stride 1, no padding, one group (pointwiseNormGradientApplies). dx = dh W (added to dx when accumulate; skipped when dx is null), dw = dh^T x (skipped when
// null), dgamma / dbeta from the sums (each may be null).
void pointwiseBackwardNormApplied(const Conv2dParams& p, const float* x, const float* w,
                                  const PointwiseNormApply& norm, float* dx, bool accumulate,
                                  float* dw, float* dgamma, float* dbeta);

}  // namespace convkit
