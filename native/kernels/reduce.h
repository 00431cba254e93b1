// Sum (and mean, via scale = 1 / count) of a contiguous tensor over any set of axes.
// out holds the kept dims in order (keepdim only changes the shape, not the data).
// Arguments are trusted: the binding validates them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convkit {

// out = scale * sum over the axes where reduced[i] is true. An empty reduction gives
// 0 * scale (0 for a sum, NaN for a mean, as PyTorch).
void reduceSum(const float* input, const std::vector<int64_t>& shape,
               const std::vector<bool>& reduced, float scale, float* out);

// out[o * C + c] = sum over i < inner of a[j] * b[j], j = (o * inner + i) * C + c: the gradient
// of a factor broadcast over the middle dims of a product (squeeze-excitation's channel scale,
// [N, H, W, C] x [N, 1, 1, C]) without materialising the product. Float sums in blocks of rows,
// merged in double.
void spatialDot(int64_t outer, int64_t inner, int64_t C, const float* a, const float* b,
                float* out);

namespace ref {
void spatialDot(int64_t outer, int64_t inner, int64_t C, const float* a, const float* b,
                float* out);
void reduceSum(const float* input, const std::vector<int64_t>& shape,
               const std::vector<bool>& reduced, float scale, float* out);
}  // namespace ref

}  // namespace convkit
