// Dropout with a counter-based generator: element e of a call is kept iff
// dropout_bits(dropoutKey(seed), counter + e) < round((1 - p) * 2^24) (isa/dropout_ukernels.h),
// so a (seed, counter) pair fixes the mask whatever the thread count or ISA path. Kept values
// are scaled by 1 / (1 - p); p = 1 zeroes everything (PyTorch). The mask is kept as bytes
// (1 = kept) for the backward pass.
#pragma once

#include <cstdint>

namespace convkit {

// p in [0, 1].
void dropoutForward(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed,
                    uint64_t counter);
void dropoutBackward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double p);

namespace ref {
void dropoutForward(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed,
                    uint64_t counter);
void dropoutBackward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double p);
}  // namespace ref

// The keep threshold on 24 random bits for drop probability p (0 for p = 1, 2^24 for p = 0).
uint32_t dropoutThreshold(double p);
// 1 / (1 - p), and 0 for p = 1.
float dropoutScale(double p);

}  // namespace convkit
