// Single-precision GEMM, row-major: C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C,
// then the optional epilogue, applied while the tile is still in registers or cache.
// op(A) = A (A is M x K, row stride lda) or A^T (A is K x M); likewise for B.
// Shaped for im2col convolution in NHWC: M = N*H*W (tall), N = Cout, K = Cin*KH*KW,
// B = weight [Cout, K] used transposed.
#pragma once

#include <cstdint>

namespace convkit {

enum class Activation : int { none = 0, relu = 1, relu6 = 2 };

struct GemmEpilogue {
  const float* bias = nullptr;      // length N, added to every row
  const float* residual = nullptr;  // M x N, row stride ldResidual, added after bias
  int64_t ldResidual = 0;
  Activation activation = Activation::none;  // applied last
};

// Uses the active ISA path and up to kernelThreads() threads (1 when called inside an
// OpenMP parallel region). Arguments are trusted: the binding validates them.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, const GemmEpilogue* epilogue = nullptr);

// Same, forcing the thread count (threads >= 1).
void sgemmThreads(int threads, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                  float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float beta, float* C, int64_t ldc, const GemmEpilogue* epilogue = nullptr);

namespace ref {
// Plain triple loop with double accumulation; obviously right, slow.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, const GemmEpilogue* epilogue = nullptr);
}  // namespace ref

// Name of the microkernel the active path uses, e.g. "f32_gemm_12x32__avx512" (CONVKIT_VERBOSE).
const char* sgemmKernelName();

}  // namespace convkit
