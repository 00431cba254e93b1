// Dropout kernels, one copy per ISA (declarations only; the body is common/dropout_impl.h
// compiled in isa/<isa>/dropout.cc), and the counter-based generator they share with the
// reference.
#pragma once

#include <cstdint>

namespace convkit::isa {

// splitmix64's output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The stream key of a seed (so nearby seeds give unrelated streams).
inline uint64_t dropoutKey(uint64_t seed) { return mix64(seed ^ 0x6a09e667f3bcc909ULL); }

// 24 uniform random bits for element `index` of stream `key`: splitmix64's state after
// index + 1 steps from the key, mixed. Element e is kept iff bits < threshold, with
// threshold = round((1 - p) * 2^24), so P(keep) = 1 - p to within 2^-25.
inline uint32_t dropout_bits(uint64_t key, uint64_t index) {
  return static_cast<uint32_t>(mix64(key + (index + 1) * 0x9e3779b97f4a7c15ULL) >> 40);
}

}  // namespace convkit::isa

#define CONVKIT_DROPOUT_UKERNELS                                                             \
  void dropout_forward(const float* x, float* y, uint8_t* mask, int64_t n, uint64_t key,    \
                       uint64_t start, uint32_t threshold, float scale);                    \
  void dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, float scale);

namespace convkit::isa::avx512 {
CONVKIT_DROPOUT_UKERNELS
}
namespace convkit::isa::avx2 {
CONVKIT_DROPOUT_UKERNELS
}
namespace convkit::isa::generic {
CONVKIT_DROPOUT_UKERNELS
}
