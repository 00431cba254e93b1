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

// B packed once and reused by many GEMMs with the same op(B) (a conv weight used by every row
// chunk): no per-call packing, and threads split M without any barrier.
struct PackedB {
  int64_t N = 0, K = 0;
  int kc = 0, nc = 0, nr = 0;  // blocking chosen at pack time (the active ISA path's)
  int mr = 1;                  // row tile: callers split M at multiples of it
  const float* data = nullptr;
};
// Floats sgemmPackB writes for op(B) of K x N (64-byte aligned buffers).
int64_t sgemmPackedBFloats(int64_t N, int64_t K);
// The blocking sgemmPackB would use for op(B) of K x N (data = nullptr), for callers that
// write the packed layout themselves (gemm.cc describes it).
PackedB sgemmPackedBLayout(int64_t N, int64_t K);
// Packs alpha * op(B) (K x N; B is N x K when transB) into dst (sgemmPackedBFloats floats),
// with the active ISA path's layout. The returned handle points at dst.
PackedB sgemmPackB(bool transB, int64_t N, int64_t K, float alpha, const float* B, int64_t ldb,
                   float* dst);
// C[M x N] = op(A)[M x K] (row stride lda) x packed B + beta * C, then the epilogue; on
// `threads` threads (1 inside a parallel region). The ISA path must be the one that packed B.
void sgemmPackedB(int threads, bool transA, int64_t M, const float* A, int64_t lda, const PackedB& B,
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
