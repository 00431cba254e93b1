// Declarations of the implicit-GEMM convolution microkernels (definitions in
// native/isa/<isa>/f32_conv_taps_ukernel.cc). Declarations only: included by baseline units.
//
// One MR x NR output tile of a stride-1 convolution over a zero-padded NHWC image, with the
// taps looped inside the kernel so the tile stays in registers for the whole reduction
// (K = taps x Cin): for tap t and input channel k, output row i reads a[offset[t] + i*lda + k]
// (rows are consecutive padded pixels, lda = Cin) and the packed weight panel b holds
// taps * kc rows of NR floats in the same (t, k) order. The tile is stored to c (row stride
// ldc) without any epilogue: the driver scatters the valid rows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convkit {
namespace isa {

typedef void (*ConvTapsUkernelFn)(size_t taps, const int64_t* offset, size_t kc, const float* a,
                                  size_t lda, const float* b, float* c, size_t ldc);

#if defined(__x86_64__) || defined(_M_X64)
void f32_conv_taps_ukernel_14x32__avx512(size_t taps, const int64_t* offset, size_t kc,
                                         const float* a, size_t lda, const float* b, float* c,
                                         size_t ldc);
void f32_conv_taps_ukernel_28x16__avx512(size_t taps, const int64_t* offset, size_t kc,
                                         const float* a, size_t lda, const float* b, float* c,
                                         size_t ldc);
#endif

// Backward-weights tile: C[MR x NR] += A^T B over kc rows, where A row k is MR floats at
// a + k * lda (dy of one output pixel) and B row k is NR floats at b + k * ldb (the input pixel
// one tap away), except that after every `segment` rows B skips `skipB` more floats (the
// padding columns between two output rows; segment >= kc and skipB = 0 for plain rows). Both
// operands are read in place; C (row stride ldc) accumulates.
typedef void (*ConvWeightsUkernelFn)(size_t kc, size_t segment, size_t skipB, const float* a,
                                     size_t lda, const float* b, size_t ldb, float* c,
                                     size_t ldc);

#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_DECLARE_WEIGHTS_UKERNEL(name)                                                 \
  void name(size_t kc, size_t segment, size_t skipB, const float* a, size_t lda, const float* b, \
            size_t ldb, float* c, size_t ldc);
CONVKIT_DECLARE_WEIGHTS_UKERNEL(f32_conv_weights_ukernel_14x32__avx512)
CONVKIT_DECLARE_WEIGHTS_UKERNEL(f32_conv_weights_ukernel_16x16__avx512)
// The same, also fetching the next chunk's rows (kc rows on, skips included): for callers
// whose next call reads the next chunk.
CONVKIT_DECLARE_WEIGHTS_UKERNEL(f32_conv_weights_prefetch_ukernel_14x32__avx512)
CONVKIT_DECLARE_WEIGHTS_UKERNEL(f32_conv_weights_prefetch_ukernel_16x16__avx512)
#undef CONVKIT_DECLARE_WEIGHTS_UKERNEL
// The same without skips (segment = kc), also fetching (into L2) the first lines0 / lines1
// 64-byte lines of two other streams, a line of each per row of k: a caller whose next step
// reads other memory (the next chunk of its inputs) has it fetched while these FMAs run.
void f32_conv_weights_stream_ukernel_14x32__avx512(size_t kc, const float* a, size_t lda,
                                                   const float* b, size_t ldb, float* c,
                                                   size_t ldc, const void* stream0, size_t lines0,
                                                   const void* stream1, size_t lines1);
void f32_conv_weights_stream_ukernel_16x16__avx512(size_t kc, const float* a, size_t lda,
                                                   const float* b, size_t ldb, float* c,
                                                   size_t ldc, const void* stream0, size_t lines0,
                                                   const void* stream1, size_t lines1);
#endif

}  // namespace isa
}  // namespace convkit
