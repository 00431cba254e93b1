// Drivers of batchnorm_excite.h. The per-(sample, channel) reductions give threads whole
// samples (pieces of one when there are fewer samples than threads); each sums its rows in
// float over blocks of rows and the blocks in double. The element-wise passes split rows as the plain
// batch norm does, cut at sample boundaries where the per-sample scales change.
#include "batchnorm_excite.h"

#include <algorithm>

#include "../runtime/memory.h"
#include "batchnorm_driver.h"

namespace convkit {

using namespace bn_driver;

namespace {

// Rows summed in float before the partial sum moves to double.
constexpr int64_t kBlockRows = 1024;

// Sums `parts` per-channel quantities over each sample's rows into out[part][n][c] (parts x
// N x C floats). Threads take whole samples; with fewer samples than threads (batch 1) each
// sample's rows are cut in pieces and the pieces' sums added after. blockSums(first row,
// rows, sums) adds a block's float sums into `sums` (parts x C floats, zeroed by the caller).
template <typename BlockSums>
void sumPerSample(int64_t N, int64_t HW, int64_t C, int parts, float* out, BlockSums blockSums) {
  const int threads = threadsFor(N * HW, C);
  const int64_t pieces = N >= threads ? 1 : (threads + N - 1) / N, items = N * pieces;
  const int64_t slot = int64_t(parts) * C;
  Scratch block(sizeof(float) * slot * threads);
  Scratch total(sizeof(double) * slot * threads);
  Scratch pieceSums(pieces > 1 ? sizeof(float) * slot * items : 0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex();
    float* sums = block.as<float>() + t * slot;
    double* acc = total.as<double>() + t * slot;
    const RowRange range = rowsOfThread(items);
    for (int64_t i = range.begin; i < range.end; ++i) {
      const int64_t n = i / pieces, piece = i % pieces;
      const int64_t begin = HW * piece / pieces, end = HW * (piece + 1) / pieces;
      std::fill(acc, acc + slot, 0.0);
      for (int64_t r = begin; r < end; r += kBlockRows) {
        std::fill(sums, sums + slot, 0.0f);
        blockSums(n * HW + r, std::min(kBlockRows, end - r), sums);
        for (int64_t j = 0; j < slot; ++j) acc[j] += sums[j];
      }
      for (int part = 0; part < parts; ++part)
        for (int64_t c = 0; c < C; ++c) {
          const float v = static_cast<float>(acc[part * C + c]);
          if (pieces == 1)
            out[(part * N + n) * C + c] = v;
          else
            pieceSums.as<float>()[i * slot + part * C + c] = v;
        }
    }
  }
  if (pieces > 1)
    for (int part = 0; part < parts; ++part)
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
          double v = 0;
          for (int64_t piece = 0; piece < pieces; ++piece)
            v += pieceSums.as<float>()[(n * pieces + piece) * slot + part * C + c];
          out[(part * N + n) * C + c] = static_cast<float>(v);
        }
}

// Runs rows(n, first, count) over every row, split over the threads, cut at samples.
template <typename Rows>
void forEachSampleRows(int64_t N, int64_t HW, int64_t C, Rows rows) {
  const int threads = threadsFor(N * HW, C);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const RowRange range = rowsOfThread(N * HW);
    for (int64_t r = range.begin; r < range.end;) {
      const int64_t n = r / HW, end = std::min(range.end, (n + 1) * HW);
      rows(n, r, end - r);
      r = end;
    }
  }
}

}  // namespace

void batchNormExcitePool(int64_t N, int64_t HW, int64_t C, const float* x, const float* affine,
                         BnActivation activation, float* pooled) {
  if (N == 0 || C == 0) return;
  const BnKernels k = kernelsFor(activeIsa());
  const int act = static_cast<int>(activation);
  sumPerSample(N, HW, C, 1, pooled, [&](int64_t first, int64_t rows, float* sums) {
    k.activationSums(x + first * C, rows, C, C, affine, act, sums);
  });
  const float inverse = HW ? 1.0f / float(HW) : 0.0f;
  for (int64_t i = 0; i < N * C; ++i) pooled[i] *= inverse;
}

void batchNormExciteApply(int64_t N, int64_t HW, int64_t C, const float* x, const float* affine,
                          BnActivation activation, const float* s, float* out) {
  if (N == 0 || C == 0) return;
  const BnKernels k = kernelsFor(activeIsa());
  const bool stream = streamOutput(N * HW, C);
  forEachSampleRows(N, HW, C, [&](int64_t n, int64_t first, int64_t count) {
    k.applyScaled(x + first * C, out + first * C, count, C, C, affine, s + n * C,
                  static_cast<int>(activation), stream);
  });
}

void batchNormExciteBackwardSums(int64_t N, int64_t HW, int64_t C, const float* x,
                                 const float* dOut, const float* mean, const float* affine,
                                 BnActivation activation, float* sums) {
  if (N == 0 || C == 0) return;
  const BnKernels k = kernelsFor(activeIsa());
  const int act = static_cast<int>(activation);
  sumPerSample(N, HW, C, 5, sums, [&](int64_t first, int64_t rows, float* block) {
    k.exciteBackwardSums(x + first * C, dOut + first * C, rows, C, C, mean, affine, act, block);
  });
}

void batchNormExciteBackward(int64_t N, int64_t HW, int64_t C, const float* x, const float* dOut,
                             const float* gamma, const float* mean, const float* invstd,
                             const float* affine, BnActivation activation, const float* s,
                             const float* poolGrad, const float* sums, bool training, float* dx,
                             float* dgamma, float* dbeta) {
  if (N == 0 || C == 0) return;
  const BnKernels k = kernelsFor(activeIsa());
  const int64_t NC = N * C, rows = N * HW;
  Scratch floats(sizeof(float) * (3 * C + NC));
  float* a = floats.as<float>();
  float* b = a + C;
  float* d = a + 2 * C;
  float* q = a + 3 * C;  // poolGrad / HW: the pool's share of dh, per sample and channel
  for (int64_t i = 0; i < NC; ++i) q[i] = HW ? poolGrad[i] / float(HW) : 0.0f;
  const float* d1 = sums + NC;
  const float* d2 = sums + 2 * NC;
  const float* e1 = sums + 3 * NC;
  const float* e2 = sums + 4 * NC;
  for (int64_t c = 0; c < C; ++c) {
    // g = dh * t summed: dh = dOut * s + q per sample, so the sample's sums weigh in by s, q.
    double sumG = 0, sumGX = 0;
    for (int64_t n = 0; n < N; ++n) {
      const int64_t i = n * C + c;
      sumG += double(s[i]) * d1[i] + double(q[i]) * e1[i];
      sumGX += double(s[i]) * d2[i] + double(q[i]) * e2[i];
    }
    backwardCoefficient(c, sumG, sumGX, rows, gamma, invstd, training, a, b, d, dgamma, dbeta);
  }
  const bool stream = streamOutput(rows, C);
  forEachSampleRows(N, HW, C, [&](int64_t n, int64_t first, int64_t count) {
    k.exciteBackwardApply(x + first * C, dOut + first * C, dx + first * C, count, C, C, mean,
                          affine, s + n * C, q + n * C, a, b, d, static_cast<int>(activation),
                          stream);
  });
}

}  // namespace convkit
