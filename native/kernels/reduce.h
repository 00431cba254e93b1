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

namespace ref {
void reduceSum(const float* input, const std::vector<int64_t>& shape,
               const std::vector<bool>& reduced, float scale, float* out);
}  // namespace ref

}  // namespace convkit
