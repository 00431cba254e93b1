#include "peak.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "../isa/peak_ukernels.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct FmaLoop {
  float (*run)(int64_t, float);
  int64_t flopsPerIteration;
};

FmaLoop fmaLoopFor(Isa isa) {
#if defined(__x86_64__)  // the x86 ISA translation units are only built on x86-64
  if (isa == Isa::avx512) return {isa::f32_fma_peak__avx512, isa::kFmaPeakFlopsAvx512};
  if (isa == Isa::avx2) return {isa::f32_fma_peak__avx2, isa::kFmaPeakFlopsAvx2};
#endif
  return {isa::f32_fma_peak__generic, isa::kFmaPeakFlopsGeneric};
}

volatile float sink;

}  // namespace

double measureFmaPeak(Isa isa, int threads, double seconds) {
  const FmaLoop loop = fmaLoopFor(isa);
  // Calibrate the iteration count so one run takes about `seconds` on one thread.
  int64_t iterations = 1 << 16;
  for (;;) {
    auto start = Clock::now();
    sink = loop.run(iterations, 1.0f);
    if (secondsSince(start) > seconds / 4 || iterations > (int64_t(1) << 40)) break;
    iterations *= 2;
  }
  iterations *= 4;
  double best = 0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    auto start = Clock::now();
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total) if (threads > 1)
    total += loop.run(iterations, 1.0f + threadIndex());
    const double elapsed = secondsSince(start);
    sink = total;
    best = std::max(best, double(loop.flopsPerIteration) * iterations * threads / elapsed / 1e9);
  }
  return best;
}

double measureBandwidth(BandwidthKind kind, int64_t bytes, int threads, int repeats) {
  const int64_t n = bytes / int64_t(sizeof(float));
  Scratch aBuf(n * sizeof(float)), bBuf(n * sizeof(float)), cBuf(n * sizeof(float));
  float* a = aBuf.as<float>();
  float* b = bBuf.as<float>();
  float* c = cBuf.as<float>();
  // First touch by the threads that will stream the data (page placement).
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t i = 0; i < n; ++i) {
    a[i] = 0.0f;
    b[i] = 1.0f;
    c[i] = 2.0f;
  }
  const double moved = double(kind == BandwidthKind::copy ? 2 : 3) * n * sizeof(float);
  double best = 0;
  for (int repeat = 0; repeat < repeats; ++repeat) {
    auto start = Clock::now();
    if (kind == BandwidthKind::copy) {
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
      for (int64_t i = 0; i < n; ++i) a[i] = b[i];
    } else {
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
      for (int64_t i = 0; i < n; ++i) a[i] = b[i] + 0.5f * c[i];
    }
    best = std::max(best, moved / secondsSince(start) / 1e9);
  }
  sink = a[n / 2];
  return best;
}

}  // namespace convkit
