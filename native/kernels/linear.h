// Fully connected layer on the packed GEMM, PyTorch layout: x [N, in], weight [out, in],
// bias [out], y [N, out] = x W^T + b. Backward: dx = dy W, dW = dy^T x, db = column sums of dy.
#pragma once

#include <cstdint>

namespace convkit {

// bias may be nullptr.
void linearForward(const float* x, const float* weight, const float* bias, float* y, int64_t N,
                   int64_t in, int64_t out);
// Each output may be nullptr (not needed). accumulate: add into dW / db (grad accumulation)
// instead of overwriting; dx is always overwritten.
void linearBackward(const float* x, const float* weight, const float* dy, float* dx, float* dW,
                    float* db, int64_t N, int64_t in, int64_t out, bool accumulate);

namespace ref {
void linearForward(const float* x, const float* weight, const float* bias, float* y, int64_t N,
                   int64_t in, int64_t out);
void linearBackward(const float* x, const float* weight, const float* dy, float* dx, float* dW,
                    float* db, int64_t N, int64_t in, int64_t out, bool accumulate);
}  // namespace ref

}  // namespace convkit
