// 2-D convolution, dense and grouped: forward, backward-data, backward-weights (+ bias).
// Activations NHWC: x [N, H, W, Cin], y [N, OH, OW, Cout]; weight in PyTorch's layout
// [Cout, Cin/groups, KH, KW]. Semantics are PyTorch's (cross-correlation, zero padding).
#pragma once

#include <cstdint>

#include "gemm.h"

namespace convkit {
class BatchStats;  // batchnorm.h
}

namespace convkit {

struct Conv2dParams {
  int64_t N, H, W, Cin, Cout, KH, KW;
  int64_t strideH, strideW;
  int64_t padTop, padBottom, padLeft, padRight;
  int64_t dilationH, dilationW;
  int64_t groups;

  int64_t outH() const { return (H + padTop + padBottom - dilationH * (KH - 1) - 1) / strideH + 1; }
  int64_t outW() const { return (W + padLeft + padRight - dilationW * (KW - 1) - 1) / strideW + 1; }
};

// How a call is computed. `automatic` picks the direct grouped kernel for narrow groups
// (Cin/groups and Cout/groups <= 8, groups > 1), the direct few-channel kernel for up to 4
// input channels (conv_stem.h; not with a fused residual or activation), Winograd F(4x4, 3x3) for dense 3x3 stride-1
// convolutions where it is measured faster (conv_winograd.h), the implicit GEMM where that is
// (conv_implicit.h) and im2col + GEMM otherwise. The others force a path for benchmarks and
// tests: `gemm` im2col (or 1x1) GEMM everywhere; `implicit` the implicit GEMM where it can run,
// else im2col; `groupedDirect` the direct kernel where it can run, else `gemm`; `winograd`
// Winograd where it can run, else as `automatic`.
enum class ConvAlgorithm : int { automatic = 0, gemm = 1, groupedDirect = 2, implicit = 3, winograd = 4 };

// Arguments are trusted (the binding validates them: positive sizes, divisibility, output
// size >= 1). y = conv(x, w) then the epilogue (bias [Cout], residual [N, OH, OW, Cout] with
// ldResidual = Cout, activation).
// stats (may be null): also sums y's per-channel batch statistics into it (a batch norm
// follows; batchnorm.h): 1x1 convolutions while each chunk of y is in cache, others after.
void conv2dForward(const Conv2dParams& p, const float* x, const float* w,
                   const GemmEpilogue* epilogue, float* y,
                   ConvAlgorithm algorithm = ConvAlgorithm::automatic,
                   BatchStats* stats = nullptr);
// dx = dL/dx (overwritten) from dy = dL/dy; with accumulate, dx += dL/dx (a gradient that
// already holds another path's contribution: the 1x1 GEMM adds with beta = 1, other paths
// compute into scratch and add).
void conv2dBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                        ConvAlgorithm algorithm = ConvAlgorithm::automatic,
                        bool accumulate = false);
// dw = dL/dw (overwritten); dbias (length Cout, overwritten) = column sums of dy, when not null.
void conv2dBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                           float* dbias, ConvAlgorithm algorithm = ConvAlgorithm::automatic);

// The path the forward would take: "stem-direct" (up to 4 input channels, conv_stem.h),
// "gemm-1x1", "im2col-gemm", "implicit-gemm", "winograd"
// (backward-weights may take Winograd where the forward does not: it transforms no weight),
// "grouped-direct", "grouped-rotate" (the direct kernel for 4x4-channel groups;
// backward-data at stride 1 only, else the "grouped-direct" one).
const char* conv2dAlgorithmName(const Conv2dParams& p, ConvAlgorithm algorithm);

namespace ref {
// Naive loops, double accumulation; the epilogue follows the same order (bias, residual, act).
void conv2dForward(const Conv2dParams& p, const float* x, const float* w,
                   const GemmEpilogue* epilogue, float* y);
void conv2dBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void conv2dBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                           float* dbias);
}  // namespace ref

}  // namespace convkit
