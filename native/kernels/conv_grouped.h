// Internal to the conv family: the direct grouped kernels' drivers (conv_grouped.cc) and
// helpers shared with conv.cc. Not part of the public C++ API.
#pragma once

#include <cstdint>

#include "conv.h"

namespace convkit {

// Narrow groups (Cin/groups and Cout/groups <= 16) whose row caches stay bounded.
bool groupedDirectApplies(const Conv2dParams& p);
void groupedForward(const Conv2dParams& p, const float* x, const float* w,
                    const GemmEpilogue* epilogue, float* y);
void groupedBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void groupedBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                            float* dbias);

// out[c] = sum over the M rows of dy[r][c] (row length C).
void columnSums(const float* dy, int64_t M, int64_t C, float* out);

}  // namespace convkit
