// Scalar reference for the linear layer: the defining sums, in double.
#include "../linear.h"

namespace convkit::ref {

void linearForward(const float* x, const float* weight, const float* bias, float* y, int64_t N,
                   int64_t in, int64_t out) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double s = bias ? bias[o] : 0.0;
      for (int64_t i = 0; i < in; ++i) s += double(x[n * in + i]) * weight[o * in + i];
      y[n * out + o] = static_cast<float>(s);
    }
}

void linearBackward(const float* x, const float* weight, const float* dy, float* dx, float* dW,
                    float* db, int64_t N, int64_t in, int64_t out, bool accumulate) {
  if (dx)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t i = 0; i < in; ++i) {
        double s = 0;
        for (int64_t o = 0; o < out; ++o) s += double(dy[n * out + o]) * weight[o * in + i];
        dx[n * in + i] = static_cast<float>(s);
      }
  if (dW)
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i) {
        double s = accumulate ? dW[o * in + i] : 0.0;
        for (int64_t n = 0; n < N; ++n) s += double(dy[n * out + o]) * x[n * in + i];
        dW[o * in + i] = static_cast<float>(s);
      }
  if (db)
    for (int64_t o = 0; o < out; ++o) {
      double s = accumulate ? db[o] : 0.0;
      for (int64_t n = 0; n < N; ++n) s += dy[n * out + o];
      db[o] = static_cast<float>(s);
    }
}

}  // namespace convkit::ref
