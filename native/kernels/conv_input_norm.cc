// The 1x1 convolutions of conv_input_norm.h: chunks of ~256 KiB of normalised rows per thread,
// statically assigned (the batch statistics and partial sums do not depend on timing).
#include "conv_input_norm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "batchnorm_driver.h"
#include "conv_common.h"
#include "conv_grouped.h"  // columnSums
#include "conv_pointwise_chunks.h"
#include "gemm.h"

namespace convkit {

namespace {

// Rows of x normalised into `out` (n rows of Cin, packed).
void normalizeRows(const bn_driver::BnKernels& k, const float* x, int64_t n, int64_t Cin,
                   const PointwiseInputNorm& norm, float* out) {
  const float* a = norm.affine;
  k.apply(x, out, n, Cin, norm.ldx, a, a + Cin, a + 2 * Cin, a + 3 * Cin, nullptr,
          norm.activation, false);
}

int64_t chunkRowsFor(int64_t widest, int64_t multiple) {
  const int64_t rows = std::max<int64_t>(multiple, BatchStats::kChunkFloats / std::max<int64_t>(widest, 1));
  return std::max<int64_t>(rows / multiple * multiple, multiple);
}

}  // namespace

bool pointwiseInputNormApplies(const Conv2dParams& p) { return isPointwise(p) && p.groups == 1; }

void pointwiseForwardInputNorm(const Conv2dParams& p, const float* x, const PointwiseInputNorm& norm,
                               const float* w, const float* bias, float* y, BatchStats* stats) {
  const int64_t rows = p.N * p.H * p.W, Cin = p.Cin, Cout = p.Cout;
  if (rows == 0) return;
  // op(B) = W^T: K = Cin, N = Cout.
  Scratch packed(sizeof(float) * sgemmPackedBFloats(Cout, Cin));
  const PackedB pw = sgemmPackB(true, Cout, Cin, 1.0f, w, Cin, packed.as<float>());
  const int64_t chunkRows = chunkRowsFor(std::max(Cin, Cout), pw.mr);
  const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), chunks));
  if (stats) threads = std::min(threads, stats->parts());
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  Scratch buffers(sizeof(float) * chunkRows * Cin * threads);
  GemmEpilogue epilogue;
  epilogue.bias = bias;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    float* normed = buffers.as<float>() + chunkRows * Cin * t;
    for (int64_t c = chunks * t / nt; c < chunks * (t + 1) / nt; ++c) {
      const int64_t r0 = c * chunkRows, n = std::min(rows, r0 + chunkRows) - r0;
      normalizeRows(k, x + r0 * norm.ldx, n, Cin, norm, normed);
      sgemmPackedB(1, false, n, normed, Cin, pw, 0.0f, y + r0 * Cout, Cout,
                   bias ? &epilogue : nullptr);
      if (stats) stats->add(t, y + r0 * Cout, n);
    }
  }
}

// Few rows or a dW past L2 for each thread's partial: x is normalised whole into a scratch
// tensor and the usual weight gradient runs (it picks the one-GEMM path there).
void pointwiseBackwardWeightsInputNorm(const Conv2dParams& p, const float* x,
                                       const PointwiseInputNorm& norm, const float* dy, float* dw,
                                       float* dbias) {
  const int64_t rows = p.N * p.H * p.W, Cin = p.Cin, Cout = p.Cout;
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  if (rows < 2048 || Cout * Cin > (int64_t(1) << 18)) {
    Scratch normedBuf(sizeof(float) * rows * Cin);
    float* normed = normedBuf.as<float>();
    const int threads = bn_driver::threadsFor(rows, Cin);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      const bn_driver::RowRange r = bn_driver::rowsOfThread(rows);
      normalizeRows(k, x + r.begin * norm.ldx, r.end - r.begin, Cin, norm, normed + r.begin * Cin);
    }
    conv2dBackwardWeights(p, normed, dy, dw, dbias, ConvAlgorithm::automatic);
    return;
  }
  const PointwiseWeightsChunks weights(Cout, Cin);
  constexpr int64_t kSlack = PointwiseWeightsChunks::kSlack;
  const int64_t chunkRows = chunkRowsFor(std::max(Cin, Cout), 16);
  const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), chunks));
  const int64_t normedFloats = chunkRows * Cin + kSlack, partFloats = weights.partFloats();
  Scratch normedBuf(sizeof(float) * normedFloats * threads);
  Scratch partBuf(sizeof(float) * partFloats * threads);
  // dy's last chunk, copied with the slack after it that the weights' microkernel reads.
  const int64_t lastRows = rows - (chunks - 1) * chunkRows;
  Scratch tailBuf(sizeof(float) * (lastRows * Cout + kSlack));
  float* tail = tailBuf.as<float>();
  std::memcpy(tail, dy + (rows - lastRows) * Cout, sizeof(float) * lastRows * Cout);
  std::fill(tail + lastRows * Cout, tail + lastRows * Cout + kSlack, 0.0f);
  std::vector<char> touched(static_cast<size_t>(threads), 0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    float* normed = normedBuf.as<float>() + normedFloats * t;
    float* part = partBuf.as<float>() + partFloats * t;
    const int64_t last = chunks * (t + 1) / nt;
    for (int64_t c = chunks * t / nt; c < last; ++c) {
      const int64_t r0 = c * chunkRows, n = std::min(rows, r0 + chunkRows) - r0;
      normalizeRows(k, x + r0 * norm.ldx, n, Cin, norm, normed);
      std::fill(normed + n * Cin, normed + n * Cin + kSlack, 0.0f);
      // This thread's next chunk of dy (and of x, when its rows are contiguous), fetched while
      // the weights' FMAs run.
      const int64_t nextRows = c + 1 < last ? std::min(rows, r0 + n + chunkRows) - r0 - n : 0;
      const auto lines = [&](int64_t floats) { return (floats * int64_t(sizeof(float)) + 63) / 64; };
      const FetchStream nextDy{dy + (r0 + n) * Cout, lines(nextRows * Cout)};
      const FetchStream nextX{x + (r0 + n) * norm.ldx,
                              norm.ldx == Cin ? lines(nextRows * Cin) : 0};
      weights.add(n, c == chunks - 1 ? tail : dy + r0 * Cout, normed, part, !touched[t], nextDy,
                  nextX);
      touched[t] = 1;
    }
  }
  weights.reduceAll(partBuf.as<float>(), touched, dw);
  if (dbias) columnSums(dy, rows, Cout, dbias);
}

}  // namespace convkit
