// Dropout: contiguous chunks per thread, each running the ISA's loop; the generator is indexed
// by element, so the split does not change the result.
#include "dropout.h"

#include <algorithm>
#include <cmath>

#include "../isa/dropout_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

uint32_t dropoutThreshold(double p) {
  return static_cast<uint32_t>(std::llround((1.0 - p) * double(1 << 24)));
}

float dropoutScale(double p) { return p >= 1.0 ? 0.0f : static_cast<float>(1.0 / (1.0 - p)); }

namespace {

template <typename Body>
void forChunks(int64_t n, Body body) {
  const int threads = n < (int64_t(1) << 15) ? 1 : kernelThreads();
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), count = threadCount();
    const int64_t per = ((n + count - 1) / count + 63) / 64 * 64;
    const int64_t begin = std::min(n, per * t), end = std::min(n, begin + per);
    if (end > begin) body(begin, end - begin);
  }
}

}  // namespace

void dropoutForward(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed,
                    uint64_t counter) {
  auto kernel = isa::generic::dropout_forward;
#if defined(__x86_64__)
  if (activeIsa() == Isa::avx512) kernel = isa::avx512::dropout_forward;
  if (activeIsa() == Isa::avx2) kernel = isa::avx2::dropout_forward;
#endif
  const uint64_t key = isa::dropoutKey(seed);
  const uint32_t threshold = dropoutThreshold(p);
  const float scale = dropoutScale(p);
  forChunks(n, [&](int64_t begin, int64_t count) {
    kernel(x + begin, y + begin, mask + begin, count, key, counter + begin, threshold, scale);
  });
}

void dropoutBackward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double p) {
  auto kernel = isa::generic::dropout_backward;
#if defined(__x86_64__)
  if (activeIsa() == Isa::avx512) kernel = isa::avx512::dropout_backward;
  if (activeIsa() == Isa::avx2) kernel = isa::avx2::dropout_backward;
#endif
  const float scale = dropoutScale(p);
  forChunks(n, [&](int64_t begin, int64_t count) {
    kernel(dy + begin, mask + begin, dx + begin, count, scale);
  });
}

}  // namespace convkit
