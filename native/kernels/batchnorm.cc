// Batch-norm driver: one OpenMP region per call. Each thread owns a contiguous range of rows:
// pass 1 reduces its rows into per-thread partials (Chan's (count, mean, M2) in double for the
// forward, double sums for the backward; float sums within blocks of rows), thread 0 merges them into per-channel
// coefficients, pass 2 writes the output. Pass 2 walks the thread's rows backwards so it first
// meets the rows pass 1 touched last, which are still in the caches.
#include "batchnorm.h"

#include <algorithm>
#include <cmath>

#include "batchnorm_driver.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"

namespace convkit {

using namespace bn_driver;

namespace {

// Calls body(first, count) over [range) in blocks of ~64 KiB, last block first.
template <typename Body>
void forEachBlockBackwards(RowRange range, int64_t C, Body body) {
  const int64_t step = std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1));
  for (int64_t end = range.end; end > range.begin; end -= step) {
    const int64_t first = std::max(range.begin, end - step);
    body(first, end - first);
  }
}

// Merges `count` partials (count, mean[C], m2[C]; `stride` doubles apart) with Chan's formula
// into out (1 + 2C doubles, the same layout).
void mergeStatParts(const double* parts, int count, int64_t stride, int64_t C, double* out) {
  double n = 0;
  for (int i = 0; i < count; ++i) n += parts[i * stride];
  out[0] = n;
  for (int64_t c = 0; c < C; ++c) {
    double total = 0, mean = 0, m2 = 0;
    for (int i = 0; i < count; ++i) {
      const double* p = parts + i * stride;
      if (p[0] == 0) continue;
      const double next = total + p[0], delta = p[1 + c] - mean;
      mean += delta * p[0] / next;
      m2 += p[1 + C + c] + delta * delta * total * p[0] / next;
      total = next;
    }
    out[1 + c] = mean;
    out[1 + C + c] = m2;
  }
}

}  // namespace

BatchStats::BatchStats(int64_t C, int parts)
    : C_(C), parts_(parts), part_(size_t(parts) * (1 + 2 * C), 0.0),
      scratch_(size_t(parts) * 3 * C) {}

void BatchStats::add(int part, const float* x, int64_t rows, int64_t ldx) {
  if (rows <= 0 || C_ == 0) return;
  double* mine = part_.data() + part * (1 + 2 * C_);
  kernelsFor(activeIsa()).stats(x, rows, C_, ldx > 0 ? ldx : C_, mine, mine + 1, mine + 1 + C_,
                                scratch_.data() + part * 3 * C_);
}

void BatchStats::addAll(const float* x, int64_t rows) {
  const int threads = std::min(parts_, threadsFor(rows, C_));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const RowRange range = rowsOfThread(rows);
    add(threadIndex(), x + range.begin * C_, range.end - range.begin, C_);
  }
}

void BatchStats::merge(double* out) const {
  mergeStatParts(part_.data(), parts_, 1 + 2 * C_, C_, out);
}

void batchNormForwardTraining(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float* runningMean, float* runningVar,
                              double factor, double eps, BnActivation activation, float* y,
                              float* saveMean, float* saveInvstd, float* saveAffine,
                              const float* residual, int64_t ldx, const double* given) {
  if (C == 0) return;
  if (ldx <= 0) ldx = C;
  const BnKernels k = kernelsFor(activeIsa());
  const int threads = threadsFor(rows, C);
  const int64_t perThreadDoubles = 1 + 2 * C;
  Scratch partials(sizeof(double) * (perThreadDoubles * threads + (1 + 2 * C)));
  Scratch floats(sizeof(float) * (4 * C + 3 * C * threads));
  double* part = partials.as<double>();
  float* meanHi = floats.as<float>();
  float* meanLo = meanHi + C;
  float* scale = meanHi + 2 * C;
  float* shift = meanHi + 3 * C;
  float* threadScratch = meanHi + 4 * C;
  const bool stream = streamOutput(rows, C);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex();
    const RowRange range = rowsOfThread(rows);
    if (!given) {  // else the producer of x summed them (BatchStats)
      double* mine = part + t * perThreadDoubles;
      std::fill(mine, mine + perThreadDoubles, 0.0);
      k.stats(x + range.begin * ldx, range.end - range.begin, C, ldx, mine, mine + 1,
              mine + 1 + C, threadScratch + t * 3 * C);
    }
#pragma omp barrier
    if (t == 0) {
      double* merged = part + perThreadDoubles * threads;
      if (given)
        std::copy(given, given + perThreadDoubles, merged);
      else
        mergeStatParts(part, threadCount(), perThreadDoubles, C, merged);
      const double n = merged[0];
      for (int64_t c = 0; c < C; ++c) {
        const double mean = merged[1 + c], m2 = merged[1 + C + c];
        const double var = std::max(0.0, m2 / n);
        const double invstd = 1 / std::sqrt(var + eps);
        const double g = gamma ? gamma[c] : 1.0;
        meanHi[c] = static_cast<float>(mean);
        meanLo[c] = static_cast<float>(mean - double(meanHi[c]));
        scale[c] = static_cast<float>(g * invstd);
        shift[c] = beta ? beta[c] : 0.0f;
        saveMean[c] = meanHi[c];
        saveInvstd[c] = static_cast<float>(invstd);
        if (runningMean)
          runningMean[c] = static_cast<float>((1 - factor) * runningMean[c] + factor * mean);
        if (runningVar)
          runningVar[c] = static_cast<float>((1 - factor) * runningVar[c] +
                                             factor * (m2 / std::max(n - 1, 1.0)));
      }
      if (saveAffine) std::copy(meanHi, meanHi + 4 * C, saveAffine);
    }
#pragma omp barrier
    if (y)  // else the caller applies saveAffine itself (batchnorm_excite.h)
      forEachBlockBackwards(range, C, [&](int64_t first, int64_t n) {
        k.apply(x + first * ldx, y + first * C, n, C, ldx, meanHi, meanLo, scale, shift,
                residual ? residual + first * C : nullptr, static_cast<int>(activation), stream);
      });
  }
}

void batchNormForwardEval(int64_t rows, int64_t C, const float* x, const float* gamma,
                          const float* beta, const float* runningMean, const float* runningVar,
                          double eps, BnActivation activation, float* y, float* saveAffine,
                          const float* residual, int64_t ldx) {
  if (C == 0 || rows == 0) return;
  if (ldx <= 0) ldx = C;
  const BnKernels k = kernelsFor(activeIsa());
  Scratch floats(sizeof(float) * 3 * C);
  float* zero = floats.as<float>();
  float* scale = zero + C;
  float* shift = zero + 2 * C;
  for (int64_t c = 0; c < C; ++c) {
    zero[c] = 0.0f;
    scale[c] = static_cast<float>((gamma ? gamma[c] : 1.0) / std::sqrt(double(runningVar[c]) + eps));
    shift[c] = beta ? beta[c] : 0.0f;
  }
  if (saveAffine) {  // [meanHi | meanLo | scale | shift], as apply is called below
    std::copy(runningMean, runningMean + C, saveAffine);
    std::copy(zero, zero + 3 * C, saveAffine + C);
  }
  if (!y) return;  // the caller applies saveAffine itself (batchnorm_excite.h)
  const int threads = threadsFor(rows, C);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const RowRange range = rowsOfThread(rows);
    k.apply(x + range.begin * ldx, y + range.begin * C, range.end - range.begin, C, ldx, runningMean,
            zero, scale, shift, residual ? residual + range.begin * C : nullptr,
            static_cast<int>(activation), streamOutput(rows, C));
  }
}

void batchNormBackward(int64_t rows, int64_t C, const float* x, const float* dy, const float* y,
                       const float* gamma, const float* mean, const float* invstd,
                       bool training, BnActivation activation, float* dx, float* dgamma,
                       float* dbeta, const float* affine, int64_t ldx, bool accumulate,
                       float* gOut, const double* givenSums) {
  if (C == 0) return;
  if (ldx <= 0) ldx = C;
  const BnKernels k = kernelsFor(activeIsa());
  const int threads = threadsFor(rows, C);
  Scratch partials(sizeof(double) * 2 * C * threads);
  Scratch floats(sizeof(float) * (3 * C + 2 * C * threads));
  double* part = partials.as<double>();
  float* a = floats.as<float>();
  float* b = a + C;
  float* d = a + 2 * C;
  float* threadScratch = a + 3 * C;
  const int act = static_cast<int>(activation);
  const bool stream = streamOutput(rows, C);
  // The fused SiLU's mask (its derivative, from a recomputed sigmoid) costs more than a pass
  // over memory: the first pass also stores g in dx, the second reads it there instead of
  // computing it again. EfficientNet-B0 at batch 16, three alternating runs: 50176 x 144
  // 4.1-4.3 -> 3.6-3.7 ms, 12544 x 240 1.3-1.5 -> 1.2-1.5, 784 x 1152 0.39 -> 0.24; but
  // 200704 x 96 (77 MB, past the 32 MB L3) 11.6 -> 12.2, so not for tensors that large. Not
  // when dx accumulates or has a row stride of its own.
  const bool saveG = activation == BnActivation::silu && !accumulate && ldx == C &&
                     rows * C <= (int64_t(12) << 20);
  // Where g goes in pass 1 (and pass 2 reads it): the caller's gOut (a residual's gradient,
  // which is g itself), else dx for the SiLU, else nowhere.
  float* gStore = activation == BnActivation::none ? nullptr : gOut ? gOut : saveG ? dx : nullptr;
  // Where the second pass reads g, when it does not compute it again.
  const float* gRead = givenSums ? dy : gStore;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex();
    const RowRange range = rowsOfThread(rows);
    double* sums = part + t * 2 * C;
    std::fill(sums, sums + 2 * C, 0.0);
    const int64_t first = range.begin * C;
    if (!givenSums)
      k.backwardSums(x + range.begin * ldx, dy + first, y ? y + first : nullptr,
                     range.end - range.begin, C, ldx, mean, affine, act, sums, sums + C,
                     threadScratch + t * 2 * C, gStore ? gStore + first : nullptr);
#pragma omp barrier
    if (t == 0) {
      const int count = givenSums ? 0 : threadCount();
      for (int64_t c = 0; c < C; ++c) {
        double sumG = givenSums ? givenSums[c] : 0, sumGX = givenSums ? givenSums[C + c] : 0;
        for (int i = 0; i < count; ++i) {
          sumG += part[i * 2 * C + c];
          sumGX += part[i * 2 * C + C + c];
        }
        backwardCoefficient(c, sumG, sumGX, rows, gamma, invstd, training, a, b, d, dgamma,
                            dbeta);
      }
    }
#pragma omp barrier
    forEachBlockBackwards(range, C, [&](int64_t row, int64_t n) {
      const int64_t offset = row * C;
      if (gRead)  // g is stored: no activation left to apply
        k.backwardApply(x + row * ldx, gRead + offset, nullptr, dx + row * ldx, n, C, ldx, mean,
                        nullptr, a, b, d, 0, stream, accumulate);
      else
        k.backwardApply(x + row * ldx, dy + offset, y ? y + offset : nullptr, dx + row * ldx, n,
                        C, ldx, mean, affine, a, b, d, act, stream, accumulate);
    });
  }
}

}  // namespace convkit
