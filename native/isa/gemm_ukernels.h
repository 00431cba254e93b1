// Declarations of the per-ISA f32 GEMM microkernels (definitions in native/isa/<isa>/
// f32_gemm_ukernel.cc, each compiled with its own -m flags). Declarations only: this header is
// included by baseline translation units and must never contain ISA-specific code.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convkit {
namespace isa {

// What the microkernel does with the MR x NR accumulator tile `acc` after the K loop:
//   C = acc + beta * C   (beta == 0: C is written without being read; beta == 1: C + acc)
//   then, when the pointers are set, C += bias[j], C += residual[i * ldResidual + j],
//   then the activation (0 none, 1 relu, 2 relu6).
// The driver passes bias/residual/activation only on the last K block of a tile.
struct GemmUkernelParams {
  float beta;
  int activation;
  const float* bias;      // NR floats for this tile's columns, or nullptr
  const float* residual;  // this tile's origin, or nullptr
  int64_t ldResidual;
  // 1: write C with non-temporal stores and do not prefetch it (beta == 0, C 64-byte aligned,
  // ldc a multiple of 16 floats): for outputs far larger than the caches. Kernels may ignore it.
  int stream;
  // 0: the whole tile. Else C (and bias, residual) has only this many columns (< NR): the
  // kernel reads and writes only those (an edge tile written in place; avx512 kernels only),
  // and computes only the first 16 when that covers them.
  int columns;
};

// Every microkernel computes a full MR x NR tile (edge tiles are computed into a local
// MR x NR buffer by the driver and copied out).
//   b: packed B micro-panel, kc rows of NR floats (64-byte aligned, zero padded on the right).
//   a: "direct" kernels read A straight from the row-major source: row i at a + i * lda,
//      k contiguous, all MR rows valid. "packed" kernels read a k-major panel: kc groups of MR
//      floats (lda ignored), zero padded below.
//   c: row stride ldc (floats).
typedef void (*GemmUkernelFn)(size_t kc, const float* a, size_t lda, const float* b, float* c,
                              size_t ldc, const GemmUkernelParams* params);

// Packs a kc x nc block of op(B) (already offset to the block origin) into NR-column panels,
// k-major, scaled by alpha, zero padded to a multiple of NR columns. Panel p starts at
// dst + p * kc * NR. Packs only panels [panelBegin, panelEnd).
typedef void (*GemmPackBFn)(bool transB, size_t kc, size_t nc, const float* b, size_t ldb,
                            float alpha, float* dst, size_t panelBegin, size_t panelEnd);

// The list of microkernels: X(isa, mr, nr). Dispatch, tests and benchmarks include it.
#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_F32_GEMM_UKERNELS(X) \
  X(avx512, 14, 32)                  \
  X(avx512, 28, 16)                  \
  X(avx512, 8, 32)                   \
  X(avx2, 6, 16)                     \
  X(generic, 4, 8)
#else
#define CONVKIT_F32_GEMM_UKERNELS(X) X(generic, 4, 8)
#endif

#define CONVKIT_DECLARE_F32_GEMM(isa, mr, nr)                                                  \
  void f32_gemm_ukernel_##mr##x##nr##__##isa(size_t, const float*, size_t, const float*,     \
                                             float*, size_t, const GemmUkernelParams*);     \
  void f32_gemm_ukernel_##mr##x##nr##_packeda__##isa(size_t, const float*, size_t,          \
                                                     const float*, float*, size_t,          \
                                                     const GemmUkernelParams*);             \
  void f32_gemm_packb_##nr##__##isa(bool, size_t, size_t, const float*, size_t, float, float*, \
                                    size_t, size_t);
CONVKIT_F32_GEMM_UKERNELS(CONVKIT_DECLARE_F32_GEMM)
#undef CONVKIT_DECLARE_F32_GEMM

}  // namespace isa
}  // namespace convkit
