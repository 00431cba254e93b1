// Reference GEMM: plain loops, double accumulation, the same semantics as convkit::sgemm.
#include "../gemm.h"

namespace convkit {
namespace ref {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, const GemmEpilogue* epilogue) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0.0;
      if (alpha != 0.0f) {  // alpha == 0: A and B are not read (BLAS semantics)
        for (int64_t k = 0; k < K; ++k) {
          const double a = transA ? A[k * lda + i] : A[i * lda + k];
          const double b = transB ? B[j * ldb + k] : B[k * ldb + j];
          sum += a * b;
        }
      }
      double v = static_cast<double>(alpha) * sum;
      if (beta != 0.0f) v += static_cast<double>(beta) * C[i * ldc + j];  // beta == 0: C not read
      if (epilogue) {
        if (epilogue->bias) v += epilogue->bias[j];
        if (epilogue->residual) v += epilogue->residual[i * epilogue->ldResidual + j];
        if (epilogue->activation != Activation::none) {
          v = v > 0.0 ? v : 0.0;
          if (epilogue->activation == Activation::relu6) v = v < 6.0 ? v : 6.0;
        }
      }
      C[i * ldc + j] = static_cast<float>(v);
    }
  }
}

}  // namespace ref
}  // namespace convkit
