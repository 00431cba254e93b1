// Linear layer = three GEMMs; the bias rides on sgemm's epilogue, and the bias gradient is a
// column sum (per-thread column blocks, rows streamed in order for cache-friendly access).
#include "linear.h"

#include <algorithm>
#include <cstring>

#include "../runtime/threads.h"
#include "gemm.h"

namespace convkit {

void linearForward(const float* x, const float* weight, const float* bias, float* y, int64_t N,
                   int64_t in, int64_t out) {
  if (N == 0 || out == 0) return;
  GemmEpilogue epilogue;
  epilogue.bias = bias;
  // in == 0: sgemm with K = 0 writes beta*C = 0 plus the epilogue's bias.
  sgemm(false, true, N, out, in, 1.0f, x, std::max<int64_t>(in, 1), weight,
        std::max<int64_t>(in, 1), 0.0f, y, out, &epilogue);
}

void linearBackward(const float* x, const float* weight, const float* dy, float* dx, float* dW,
                    float* db, int64_t N, int64_t in, int64_t out, bool accumulate) {
  const int64_t ldIn = std::max<int64_t>(in, 1), ldOut = std::max<int64_t>(out, 1);
  if (dx && N > 0 && in > 0) sgemm(false, false, N, in, out, 1.0f, dy, ldOut, weight, ldIn, 0.0f, dx, ldIn);
  if (dW && out > 0 && in > 0)
    sgemm(true, false, out, in, N, 1.0f, dy, ldOut, x, ldIn, accumulate ? 1.0f : 0.0f, dW, ldIn);
  if (db && out > 0) {
    // Column blocks of 64 per task: each thread owns its columns, so no reduction is needed.
    const int64_t blocks = (out + 63) / 64;
    const int threads = N * out < (int64_t(1) << 15) ? 1 : kernelThreads();
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t c0 = b * 64, c1 = std::min(out, c0 + 64);
      float sums[64];
      for (int64_t c = c0; c < c1; ++c) sums[c - c0] = accumulate ? db[c] : 0.0f;
      for (int64_t r = 0; r < N; ++r) {
        const float* row = dy + r * out;
#pragma omp simd
        for (int64_t c = c0; c < c1; ++c) sums[c - c0] += row[c];
      }
      std::memcpy(db + c0, sums, sizeof(float) * (c1 - c0));
    }
  }
}

}  // namespace convkit
