#include "random.h"

#include <cmath>

#include "../runtime/threads.h"

namespace convkit {

namespace {

// splitmix64's finaliser: a bijective mix with full avalanche, the usual counter-based hash.
inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Uniform on [0, 1) with 24 random bits (every value exact in float32), from stream `seed`.
inline float uniformAt(uint64_t seed, uint64_t i) {
  return static_cast<float>(mix(seed + 0x9e3779b97f4a7c15ull * (i + 1)) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace

void fillUniform(float* out, int64_t n, float low, float high, uint64_t seed) {
  const int threads = n > (1 << 16) ? kernelThreads() : 1;
  const float scale = high - low;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t i = 0; i < n; ++i) out[i] = low + scale * uniformAt(seed, static_cast<uint64_t>(i));
}

void fillNormal(float* out, int64_t n, float mean, float std, uint64_t seed) {
  const int threads = n > (1 << 16) ? kernelThreads() : 1;
  const int64_t pairs = (n + 1) / 2;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t p = 0; p < pairs; ++p) {
    // u1 in (0, 1] so the logarithm is finite.
    const double u1 = 1.0 - uniformAt(seed, 2 * p);
    const double u2 = uniformAt(seed, 2 * p + 1);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586 * u2;
    out[2 * p] = static_cast<float>(mean + std * radius * std::cos(angle));
    if (2 * p + 1 < n) out[2 * p + 1] = static_cast<float>(mean + std * radius * std::sin(angle));
  }
}

}  // namespace convkit
