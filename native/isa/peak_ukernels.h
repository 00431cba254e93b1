// Peak-measurement loops, one per ISA (declarations only; bodies live in isa/<isa>/peak.cc).
// Each runs `iterations` rounds of independent FMA chains (enough accumulators to cover
// FMA latency x throughput) and returns a value derived from every accumulator so the
// compiler cannot drop the work. FLOPs per iteration: returned by the *_flops constants.
#pragma once

#include <cstdint>

namespace convkit::isa {

// 24 zmm accumulators x 16 lanes x 2 FLOPs.
constexpr int64_t kFmaPeakFlopsAvx512 = 24 * 16 * 2;
// 12 ymm accumulators x 8 lanes x 2 FLOPs.
constexpr int64_t kFmaPeakFlopsAvx2 = 12 * 8 * 2;
// 12 four-lane multiply-add chains x 4 lanes x 2 FLOPs.
constexpr int64_t kFmaPeakFlopsGeneric = 12 * 4 * 2;

float f32_fma_peak__avx512(int64_t iterations, float seed);
float f32_fma_peak__avx2(int64_t iterations, float seed);
float f32_fma_peak__generic(int64_t iterations, float seed);

}  // namespace convkit::isa
