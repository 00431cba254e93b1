// The 1x1 backward-weights paths of conv_pointwise.h, and the 1x1 backward-data with the norm's
// first backward pass inside.
#include "conv_pointwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "batchnorm.h"
#include "batchnorm_driver.h"
#include "conv_common.h"
#include "conv_grouped.h"  // columnSums
#include "conv_implicit.h"
#include "conv_pointwise_chunks.h"
#include "gemm.h"

namespace convkit {

// 1x1 stride-1 backward-weights as one GEMM, dW = dY^T X with threads splitting dW's rows,
// for few rows (batch 16 at 7x7: M = 784) or a dW of 8 MB or more. The other paths split the
// rows between threads and sweep a partial dW per thread (cleared, added to per chunk,
// reduced): at M = 784 that traffic outweighed the FMAs. Measured (batch 16, 2 threads,
// AVX-512, GF/s, before -> after): 7x7 1024 <-> 2048 330-354 -> 450-476, 2048 -> 512 381 ->
// 449, 1152 -> 192 341 -> 411; 14x14 1024 <-> 2048 355 -> 442. At 14x14 and up with a smaller
// dW the microkernel stays ahead on Zen 5 (512 -> 1024: 451 vs 436; 56x56 64 -> 256: 391 vs
// 226). On the Intel Xeon the GEMM is ahead up to 4096 rows once dW has 64K+ floats (14x14
// batch 16, GF/s: 1024 -> 128 155 -> 195, 256 -> 1024 165 -> 209, 1024 -> 256 152 -> 190;
// 512 -> 128 even; with smaller dW, 64 -> 384 or 160 -> 128, the microkernel by ~15%; at 28x28,
// 12544 rows, the microkernel), so the GEMM takes those too (Zen 5's 512 -> 1024 loses 3%).
bool weightsGemmApplies(const Conv2dParams& p) {
  if (!isPointwise(p) || p.groups != 1) return false;
  const int64_t rows = p.N * p.H * p.W, dwFloats = p.Cout * p.Cin;
  return rows <= 1024 || dwFloats >= (int64_t(1) << 21) ||
         (rows <= 4096 && dwFloats >= (int64_t(1) << 16));
}
// With 1024+ rows per thread, the threads split the rows (the GEMM's K) instead: each runs a
// one-thread GEMM into its own dW, summed at the end, with no barrier inside. The two-thread
// GEMM packs each K block of x together and waits at two barriers per block: at 14x14, batch
// 16, 15-20% of its time was a thread idle (Xeon; alternating calls, ms: 1024 -> 256 6.6 ->
// 5.4, 1024 -> 512 11.9 -> 10.8, 256 -> 1024 5.6 -> 5.3, 512 -> 128 1.62 -> 1.55). With
// fewer rows (7x7) the partial dW's traffic would outweigh the barriers (see above).
constexpr int64_t kSplitRowsPerThread = 1024;
void weightsGemmBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                                float* dbias) {
  const int64_t rows = p.N * p.H * p.W, size = p.Cout * p.Cin;
  const int threads = kernelThreads();
  if (threads < 2 || rows < threads * kSplitRowsPerThread) {
    sgemm(true, false, p.Cout, p.Cin, rows, 1.0f, dy, p.Cout, x, p.Cin, 0.0f, dw, p.Cin);
  } else {
    Scratch partialBuf(sizeof(float) * (threads - 1) * size);
    float* partial = partialBuf.as<float>();
#pragma omp parallel num_threads(threads)
    {
      const int t = threadIndex(), nt = threadCount();
      const int64_t r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
      float* out = t == 0 ? dw : partial + (t - 1) * size;
      sgemmThreads(1, true, false, p.Cout, p.Cin, r1 - r0, 1.0f, dy + r0 * p.Cout, p.Cout,
                   x + r0 * p.Cin, p.Cin, 0.0f, out, p.Cin);
#pragma omp barrier
      const int64_t i0 = size * t / nt, i1 = size * (t + 1) / nt;
      for (int u = 1; u < nt; ++u) {
        const float* src = partial + (u - 1) * size;
        for (int64_t i = i0; i < i1; ++i) dw[i] += src[i];
      }
    }
  }
  if (dbias) columnSums(dy, rows, p.Cout, dbias);
}

namespace {
// A strided 1x1 (ResNet's downsampling shortcut) is the stride-1 1x1 of x's sampled pixels.
Conv2dParams sampledPointwise(const Conv2dParams& p) {
  Conv2dParams q = p;
  q.H = p.outH();
  q.W = p.outW();
  q.strideH = q.strideW = 1;
  return q;
}
}  // namespace

// Its backward-weights gathers those pixels (a quarter of x at stride 2) and runs the stride-1
// paths, when one of the fast ones applies: the im2col GEMM reached 336-351 GF/s on ResNeXt-50's
// three (batch 16), the gathered pixels 420-450.
bool sampledWeightsApplies(const Conv2dParams& p) {
  if (p.KH != 1 || p.KW != 1 || p.groups != 1) return false;
  if (p.padTop || p.padBottom || p.padLeft || p.padRight || (p.strideH == 1 && p.strideW == 1))
    return false;
  const Conv2dParams q = sampledPointwise(p);
  return weightsGemmApplies(q) || pointwiseWeightsApplies(q);
}
void sampledBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                            float* dbias) {
  const Conv2dParams q = sampledPointwise(p);
  Scratch sampledBuf(sizeof(float) * q.N * q.H * q.W * p.Cin);
  float* sampled = sampledBuf.as<float>();
  const int64_t rows = q.N * q.H;
  const int threads = rows * q.W * p.Cin >= (int64_t(1) << 16) ? kernelThreads() : 1;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t n = r / q.H, oh = r % q.H;
    const float* src = x + ((n * p.H + oh * p.strideH) * p.W) * p.Cin;
    float* dst = sampled + r * q.W * p.Cin;
    for (int64_t ow = 0; ow < q.W; ++ow)
      std::memcpy(dst + ow * p.Cin, src + ow * p.strideW * p.Cin, sizeof(float) * p.Cin);
  }
  conv2dBackwardWeights(q, sampled, dy, dw, dbias, ConvAlgorithm::automatic);
}

bool pointwiseNormGradientApplies(const Conv2dParams& p) {
  return isPointwise(p) && p.groups == 1;
}

// Each thread takes chunks of ~256 KiB of dx rows (statically: the sums do not depend on
// timing), runs a one-thread GEMM on the packed weight and the norm's row kernel right after,
// so the norm's first pass reads only h from memory, not dx again.
void pointwiseBackwardDataNormGradient(const Conv2dParams& p, const float* dy, const float* w,
                                       float* dx, const PointwiseNormGradient& norm) {
  const int64_t rows = p.N * p.H * p.W, C = p.Cin;
  // op(B) = W as [Cout x Cin]: K = Cout, N = Cin.
  Scratch packed(sizeof(float) * sgemmPackedBFloats(C, p.Cout));
  const PackedB b = sgemmPackB(false, C, p.Cout, 1.0f, w, C, packed.as<float>());
  int64_t chunkRows = std::max<int64_t>(b.mr, BatchStats::kChunkFloats / std::max<int64_t>(C, 1));
  chunkRows = std::max<int64_t>(chunkRows / b.mr * b.mr, b.mr);
  const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), chunks));
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  std::vector<double> parts(static_cast<size_t>(2 * C * threads), 0.0);
  std::vector<float> scratch(static_cast<size_t>(2 * C * threads));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    double* mine = parts.data() + 2 * C * t;
    for (int64_t c = chunks * t / nt; c < chunks * (t + 1) / nt; ++c) {
      const int64_t r0 = c * chunkRows, n = std::min(rows, r0 + chunkRows) - r0;
      float* out = dx + r0 * C;
      sgemmPackedB(1, false, n, dy + r0 * p.Cout, p.Cout, b, 0.0f, out, C);
      k.backwardSums(norm.h + r0 * norm.ldh, out, nullptr, n, C, norm.ldh, norm.mean, norm.affine,
                     norm.activation, mine, mine + C, scratch.data() + 2 * C * t,
                     norm.activation ? out : nullptr);
    }
  }
  for (int t = 0; t < threads; ++t)
    for (int64_t c = 0; c < 2 * C; ++c) norm.sums[c] += parts[static_cast<size_t>(2 * C * t + c)];
}

// Where it pays against the norm's backward pass then the conv's two gradients (each reading dh
// from memory): with the expanded tensor past L2 (rows x Cout >= 1M floats) and a dW that each
// thread's partial keeps in L2 (<= 64K floats). Below that the separate passes find dh in cache
// and the one-thread GEMMs on short chunks only lose.
bool pointwiseNormApplyApplies(const Conv2dParams& p) {
  return isPointwise(p) && p.groups == 1 && p.N * p.H * p.W * p.Cout >= (int64_t(1) << 20) &&
         p.Cout * p.Cin <= (int64_t(1) << 16);
}

// Each thread takes whole chunks of ~256 KiB of dh rows (statically), computes dh there with the
// norm's apply kernel, runs dx's rows as a one-thread GEMM on the packed weight and adds dh^T x
// into its own partial dW; the partials are added at the end.
void pointwiseBackwardNormApplied(const Conv2dParams& p, const float* x, const float* w,
                                  const PointwiseNormApply& norm, float* dx, bool accumulate,
                                  float* dw, float* dgamma, float* dbeta) {
  const int64_t rows = p.N * p.H * p.W, Cin = p.Cin, Cout = p.Cout;
  Scratch coefficients(sizeof(float) * 3 * Cout);
  float* a = coefficients.as<float>();
  float* b = a + Cout;
  float* d = a + 2 * Cout;
  for (int64_t c = 0; c < Cout; ++c)
    bn_driver::backwardCoefficient(c, norm.sums[c], norm.sums[Cout + c], rows, norm.gamma,
                                   norm.invstd, norm.training, a, b, d, dgamma, dbeta);
  if (!dx && !dw) return;
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  if (!pointwiseNormApplyApplies(p)) {  // dh stored, then the conv's usual gradients
    Scratch dhBuf(sizeof(float) * rows * Cout);
    float* dh = dhBuf.as<float>();
    const int threads = bn_driver::threadsFor(rows, Cout);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      const bn_driver::RowRange r = bn_driver::rowsOfThread(rows);
      k.backwardApply(norm.h + r.begin * Cout, norm.g + r.begin * Cout, nullptr,
                      dh + r.begin * Cout, r.end - r.begin, Cout, Cout, norm.mean, nullptr, a, b,
                      d, 0, false, false);
    }
    if (dx) conv2dBackwardData(p, dh, w, dx, ConvAlgorithm::automatic, accumulate);
    if (dw) conv2dBackwardWeights(p, x, dh, dw, nullptr, ConvAlgorithm::automatic);
    return;
  }
  // op(B) = W as [Cout x Cin]: K = Cout, N = Cin.
  Scratch packed(dx ? sizeof(float) * sgemmPackedBFloats(Cin, Cout) : 0);
  const PackedB pw = dx ? sgemmPackB(false, Cin, Cout, 1.0f, w, Cin, packed.as<float>())
                        : sgemmPackedBLayout(Cin, Cout);
  int64_t chunkRows = std::max<int64_t>(pw.mr, BatchStats::kChunkFloats / Cout);
  chunkRows = chunkRows / pw.mr * pw.mr;
  const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), chunks));
  const PointwiseWeightsChunks weights(Cout, Cin);
  constexpr int64_t kSlack = PointwiseWeightsChunks::kSlack;
  const int64_t dhFloats = chunkRows * Cout + kSlack, partFloats = weights.partFloats();
  Scratch dhBuf(sizeof(float) * dhFloats * threads);
  Scratch partBuf(dw ? sizeof(float) * partFloats * threads : 0);
  // x's last chunk, copied with the slack after it that the weights' microkernel reads.
  const int64_t lastRows = rows - (chunks - 1) * chunkRows;
  Scratch tailBuf(dw ? sizeof(float) * (lastRows * Cin + kSlack) : 0);
  if (dw) {
    std::memcpy(tailBuf.as<float>(), x + (rows - lastRows) * Cin, sizeof(float) * lastRows * Cin);
    std::fill(tailBuf.as<float>() + lastRows * Cin, tailBuf.as<float>() + lastRows * Cin + kSlack,
              0.0f);
  }
  std::vector<char> touched(static_cast<size_t>(threads), 0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    float* dh = dhBuf.as<float>() + dhFloats * t;
    std::fill(dh + chunkRows * Cout, dh + dhFloats, 0.0f);
    float* part = dw ? partBuf.as<float>() + partFloats * t : nullptr;
    for (int64_t c = chunks * t / nt; c < chunks * (t + 1) / nt; ++c) {
      const int64_t r0 = c * chunkRows, n = std::min(rows, r0 + chunkRows) - r0;
      k.backwardApply(norm.h + r0 * Cout, norm.g + r0 * Cout, nullptr, dh, n, Cout, Cout,
                      norm.mean, nullptr, a, b, d, 0, false, false);
      if (n < chunkRows) std::fill(dh + n * Cout, dh + n * Cout + kSlack, 0.0f);
      if (dx)
        sgemmPackedB(1, false, n, dh, Cout, pw, accumulate ? 1.0f : 0.0f, dx + r0 * Cin, Cin);
      // This thread's next chunk of h and g, fetched while the weights' FMAs run.
      const int64_t nextRows =
          c + 1 < chunks * (t + 1) / nt ? std::min(rows, r0 + n + chunkRows) - r0 - n : 0;
      const int64_t nextLines = (nextRows * Cout * int64_t(sizeof(float)) + 63) / 64;
      if (dw)
        weights.add(n, dh, c == chunks - 1 ? tailBuf.as<float>() : x + r0 * Cin, part,
                    !touched[t], {norm.h + (r0 + n) * Cout, nextLines},
                    {norm.g + (r0 + n) * Cout, nextLines});
      touched[t] = 1;
    }
  }
  if (!dw) return;
  weights.reduceAll(partBuf.as<float>(), touched, dw);
}

}  // namespace convkit
