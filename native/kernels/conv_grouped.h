// Internal to the conv family: the direct grouped kernels' drivers (conv_grouped.cc) and
// helpers shared with conv.cc. Not part of the public C++ API.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../isa/conv_ukernels.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "conv.h"

namespace convkit {

// Narrow groups (Cin/groups and Cout/groups <= 16) whose row caches stay bounded.
bool groupedDirectApplies(const Conv2dParams& p);
void groupedForward(const Conv2dParams& p, const float* x, const float* w,
                    const GemmEpilogue* epilogue, float* y);
void groupedBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void groupedBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                            float* dbias);

// The kernels' view of the geometry (channel vectors padded to isa::kConvLanePad).
isa::ConvGroupedShape groupedShape(const Conv2dParams& p);

// Runs body(thread, row0, row1, scratch) over [0, rows) split in contiguous ranges between
// threads (one thread below ~2e5 units of work), each with scratchFloats of its own.
template <typename Body>
void parallelRows(int64_t rows, size_t scratchFloats, double workPerRow, Body body) {
  int threads = kernelThreads();
  if (rows * workPerRow < 2e5) threads = 1;
  threads = static_cast<int>(std::min<int64_t>(threads, rows));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    Scratch scratch(sizeof(float) * scratchFloats);
    body(t, rows * t / nt, rows * (t + 1) / nt, scratch.as<float>());
  }
}

// Groups of 4, 8 or 16 input and output channels (Cin == Cout) on AVX2 (4, 8) / AVX-512 (4, 8,
// 16) (conv_grouped_rotate.cc): the rotation kernels. Backward-data runs them at stride 1 only.
bool groupedRotateApplies(const Conv2dParams& p);
bool groupedRotateBackwardDataApplies(const Conv2dParams& p);
void groupedRotateForward(const Conv2dParams& p, const float* x, const float* w,
                          const GemmEpilogue* epilogue, float* y);
void groupedRotateBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx);
void groupedRotateBackwardWeights(const Conv2dParams& p, const float* x, const float* dy,
                                  float* dw, float* dbias);

// out[c] = sum over the M rows of dy[r][c] (row length C).
void columnSums(const float* dy, int64_t M, int64_t C, float* out);

}  // namespace convkit
