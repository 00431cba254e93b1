// Binary elementwise ops with NumPy broadcasting: out = a (op) b, where aShape and bShape each
// broadcast to outShape (right-aligned; every dim equals the output's or is 1). A scalar is a
// shape [] operand. outShape may be larger than the broadcast of the two inputs (expand).
// Arguments are trusted: the binding validates them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convkit {

enum class BinaryOp : int { add = 0, sub = 1, mul = 2, div = 3 };

void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int64_t>& aShape,
                     const float* b, const std::vector<int64_t>& bShape, float* out,
                     const std::vector<int64_t>& outShape);

namespace ref {
void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int64_t>& aShape,
                     const float* b, const std::vector<int64_t>& bShape, float* out,
                     const std::vector<int64_t>& outShape);
}  // namespace ref

}  // namespace convkit
