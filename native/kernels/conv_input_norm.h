// 1x1 convolutions of a batch norm's output, conv(act(bn(x))), that never store act(bn(x)): the
// forward and the weight gradient normalise each chunk of x's rows into a buffer in L2 (the
// norm's apply kernel) and run the GEMM / the weights tiles on it there. The data gradient with
// the norm's first backward pass inside is conv_pointwise.h's. MobileNetV2's projections and
// DenseNet's norm1 -> conv1: the normalised tensor is not written, and is read from memory
// neither by the forward GEMM nor by the weight gradient (x is, once each).
#pragma once

#include "batchnorm.h"
#include "conv.h"

namespace convkit {

struct PointwiseInputNorm {
  const float* affine;  // the norm's saveAffine: [meanHi | meanLo | scale | shift], Cin each
  int activation;       // BnActivation
  int64_t ldx;          // x's row stride, >= Cin (a DenseNet buffer's first Cin channels)
};

// 1x1, stride 1, no padding, one group.
bool pointwiseInputNormApplies(const Conv2dParams& p);
// y = conv(act(bn(x))) (+ bias when not null); stats (may be null) gets y's batch statistics.
void pointwiseForwardInputNorm(const Conv2dParams& p, const float* x, const PointwiseInputNorm& norm,
                               const float* w, const float* bias, float* y, BatchStats* stats);
// dw = dy^T act(bn(x)), dbias (may be null) = dy's column sums.
void pointwiseBackwardWeightsInputNorm(const Conv2dParams& p, const float* x,
                                       const PointwiseInputNorm& norm, const float* dy, float* dw,
                                       float* dbias);

}  // namespace convkit
