// Implicit-GEMM convolution paths (conv_implicit.cc), chosen by conv.cc. Internal: arguments
// are trusted, as in conv.h.
#pragma once

#include "conv.h"

namespace convkit {

// Stride 1, groups 1, not a plain 1x1, on the AVX-512 path (the only one with the
// microkernels): the implicit forward and backward-weights can run.
bool implicitApplies(const Conv2dParams& p);
// Where they are measured faster than im2col (16+ input channels, outputs 14+ wide).
bool implicitPreferred(const Conv2dParams& p);
// 1x1 stride-1 unpadded, groups 1, on AVX-512: pointwiseBackwardWeights can run.
bool pointwiseWeightsApplies(const Conv2dParams& p);

void implicitForward(const Conv2dParams& p, const float* x, const float* w,
                     const GemmEpilogue* epilogue, float* y);
void implicitBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                             float* dbias);
// Few input channels (KW * Cin <= 14, strideW * Cin <= 14), groups 1, dilation 1, Cout a
// multiple of 32, on AVX-512: stemBackwardWeights can run (a network's stem).
bool stemWeightsApplies(const Conv2dParams& p);
void stemBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                         float* dbias);
void pointwiseBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                              float* dbias);

// The backward-weights tile grid for a rows x cols result (C = A^T B over rows of A and B):
// tile height / width and the padded extents. Only on AVX-512 (false elsewhere).
struct WeightsGrid {
  int mr = 0, nr = 0;
  int64_t rPad = 0, cPad = 0;
};
bool weightsGrid(int64_t rows, int64_t cols, WeightsGrid* grid);
// part [rPad x cPad] += A^T B over kc rows: A row k at a + k * lda (reads rPad floats: slack
// after the last row needed), B row k at b + k * ldb (cPad floats).
void weightsGridChunk(const WeightsGrid& grid, int64_t kc, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float* part);
// Memory a caller reads next: `lines` 64-byte lines from `start`.
struct FetchStream {
  const void* start = nullptr;
  int64_t lines = 0;
};
// The same, also fetching the two streams into L2 (a line of each per row of kc, tile after
// tile, as far as the tiles' rows go); the streams move past what was fetched.
void weightsGridChunkFetching(const WeightsGrid& grid, int64_t kc, const float* a, int64_t lda,
                              const float* b, int64_t ldb, float* part, FetchStream* s0,
                              FetchStream* s1);

}  // namespace convkit
