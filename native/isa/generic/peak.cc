#include "../peak_ukernels.h"

namespace convkit::isa {

// GCC vector extension: SSE2 on baseline x86-64 (multiply + add, no FMA), NEON on arm64.
typedef float v4f __attribute__((vector_size(16)));

float f32_fma_peak__generic(int64_t iterations, float seed) {
  const v4f a = {0.999999f, 0.999999f, 0.999999f, 0.999999f};
  const float s = seed * 1e-7f;
  const v4f b = {s, s, s, s};
  v4f acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = v4f{seed + i, seed + i, seed + i, seed + i};
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = acc[i] * a + b;
  }
  v4f sum = acc[0];
  for (int i = 1; i < 12; ++i) sum += acc[i];
  return sum[0] + sum[1] + sum[2] + sum[3];
}

}  // namespace convkit::isa
