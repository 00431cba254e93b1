// Backward-weights of 1x1 convolutions beyond the in-place microkernel (conv_implicit.h):
// as one GEMM where few rows or a large dW make that faster, and strided 1x1s (ResNet's
// downsampling shortcuts) on their sampled pixels. conv.cc chooses them for automatic calls.
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

}  // namespace convkit
