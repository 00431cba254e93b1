// Scalar reduction reference: every input element added (in double) into its output slot.
#include <cstddef>

#include "../reduce.h"

namespace convkit::ref {

void reduceSum(const float* input, const std::vector<int64_t>& shape,
               const std::vector<bool>& reduced, float scale, float* out) {
  int64_t inSize = 1, outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    inSize *= shape[i];
    if (!reduced[i]) outSize *= shape[i];
  }
  std::vector<double> acc(outSize, 0.0);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t flat = 0; flat < inSize; ++flat) {
    int64_t rest = flat, outIndex = 0, outStride = 1;
    for (size_t i = shape.size(); i-- > 0;) {
      index[i] = rest % shape[i];
      rest /= shape[i];
      if (!reduced[i]) outIndex += index[i] * outStride, outStride *= shape[i];
    }
    acc[outIndex] += input[flat];
  }
  for (int64_t i = 0; i < outSize; ++i) out[i] = float(acc[i] * double(scale));
}

void spatialDot(int64_t outer, int64_t inner, int64_t C, const float* a, const float* b,
                float* out) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c) {
      double s = 0;
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t j = (o * inner + i) * C + c;
        s += double(a[j]) * double(b[j]);
      }
      out[o * C + c] = static_cast<float>(s);
    }
}

}  // namespace convkit::ref
