// Scalar reference for dropout: the same counter-based generator, one element at a time.
#include "../dropout.h"

#include "../../isa/dropout_ukernels.h"

namespace convkit::ref {

void dropoutForward(const float* x, float* y, uint8_t* mask, int64_t n, double p, uint64_t seed,
                    uint64_t counter) {
  const uint64_t key = isa::dropoutKey(seed);
  const uint32_t threshold = dropoutThreshold(p);
  const double scale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = isa::dropout_bits(key, counter + uint64_t(i)) < threshold;
    mask[i] = keep;
    y[i] = keep ? static_cast<float>(x[i] * scale) : 0.0f;
  }
}

void dropoutBackward(const float* dy, const uint8_t* mask, float* dx, int64_t n, double p) {
  const double scale = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
  for (int64_t i = 0; i < n; ++i) dx[i] = mask[i] ? static_cast<float>(dy[i] * scale) : 0.0f;
}

}  // namespace convkit::ref
