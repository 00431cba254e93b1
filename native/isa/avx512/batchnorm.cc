// Batch-norm row kernels for the avx512 path: the shared body, vectorized by the compiler
// with this TU's flags.
#include <cstdint>

#include "../batchnorm_ukernels.h"

namespace convkit::isa::avx512 {
#include "../common/batchnorm_impl.h"
}  // namespace convkit::isa::avx512

namespace convkit::isa {

void f32_bn_stats__avx512(const float* x, int64_t rows, int64_t C, double* count, double* mean,
                        double* m2, float* scratch) {
  avx512::batchnorm_detail::stats(x, rows, C, count, mean, m2, scratch);
}

void f32_bn_apply__avx512(const float* x, float* y, int64_t rows, int64_t C, const float* meanHi,
                        const float* meanLo, const float* scale, const float* beta,
                        int activation) {
  using namespace avx512::batchnorm_detail;
  if (activation == 1) return apply<1>(x, y, rows, C, meanHi, meanLo, scale, beta);
  if (activation == 2) return apply<2>(x, y, rows, C, meanHi, meanLo, scale, beta);
  apply<0>(x, y, rows, C, meanHi, meanLo, scale, beta);
}

void f32_bn_backward_sums__avx512(const float* x, const float* dy, const float* y, int64_t rows,
                                int64_t C, const float* mean, int activation, double* sumG,
                                double* sumGX, float* scratch) {
  using namespace avx512::batchnorm_detail;
  if (activation == 1) return backwardSums<1>(x, dy, y, rows, C, mean, sumG, sumGX, scratch);
  if (activation == 2) return backwardSums<2>(x, dy, y, rows, C, mean, sumG, sumGX, scratch);
  backwardSums<0>(x, dy, y, rows, C, mean, sumG, sumGX, scratch);
}

void f32_bn_backward_apply__avx512(const float* x, const float* dy, const float* y, float* dx,
                                 int64_t rows, int64_t C, const float* mean, const float* a,
                                 const float* b, const float* d, int activation) {
  using namespace avx512::batchnorm_detail;
  if (activation == 1) return backwardApply<1>(x, dy, y, dx, rows, C, mean, a, b, d);
  if (activation == 2) return backwardApply<2>(x, dy, y, dx, rows, C, mean, a, b, d);
  backwardApply<0>(x, dy, y, dx, rows, C, mean, a, b, d);
}

}  // namespace convkit::isa
