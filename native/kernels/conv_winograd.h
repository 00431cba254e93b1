// Winograd F(4x4, 3x3) convolution (conv_winograd.cc), chosen by conv.cc for dense 3x3
// stride-1 convolutions: 36 small GEMMs on transformed tiles do the work of 144 per 4x4 output
// block, 4x fewer multiplies than the direct convolution. Internal: arguments are trusted.
#pragma once

#include "conv.h"

namespace convkit {

// 3x3, stride 1, dilation 1, groups 1, every padding in [0, 2].
bool winogradApplies(const Conv2dParams& p);
// Where it is measured faster than the GEMM paths (see conv_winograd.cc).
bool winogradPreferred(const Conv2dParams& p);
// Backward-weights with few output channels on few tiles, where its 36 GEMMs are too small to
// run well (conv.cc then takes the implicit GEMM where that applies).
bool winogradWeightsSmall(const Conv2dParams& p);

void winogradForward(const Conv2dParams& p, const float* x, const float* w,
                     const GemmEpilogue* epilogue, float* y);
void winogradBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void winogradBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                             float* dbias);

}  // namespace convkit
