// Implicit-GEMM convolution microkernels, AVX-512F (see conv_taps_ukernels.h): the GEMM
// tiles of f32_gemm_ukernel.cc (14x32 and 28x16, A broadcast from memory, B one or two zmm per
// k) with an outer loop over the taps, each tap moving the A rows by its offset; and the
// backward-weights tiles, both operands read in place with row strides.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 105593, as f32_gemm_ukernel.cc
#include <immintrin.h>

#include "../conv_taps_ukernels.h"

namespace convkit {
namespace isa {

namespace {

// MR rows (base pointers every 7 rows keep [base + index*scale] addressing), NV zmm per row.
template <int MR, int NV>
inline __attribute__((always_inline)) void tapsKernel(size_t taps, const int64_t* offset,
                                                      size_t kc, const float* a, size_t lda,
                                                      const float* b, float* c, size_t ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (size_t t = 0; t < taps; ++t) {
    const float* a0 = a + offset[t];
    const float* a7 = a0 + 7 * lda;
    const float* a14 = a0 + 14 * lda;
    const float* a21 = a0 + 21 * lda;
    for (size_t k = 0; k < kc; ++k) {
      __m512 bv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
      b += 16 * NV;
#pragma GCC unroll 28
      for (int i = 0; i < MR; ++i) {
        const float* src = i < 7    ? a0 + i * lda
                           : i < 14 ? a7 + (i - 7) * lda
                           : i < 21 ? a14 + (i - 14) * lda
                                    : a21 + (i - 21) * lda;
        const __m512 ai = _mm512_set1_ps(*src);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
      ++a0;
      ++a7;
      ++a14;
      ++a21;
    }
  }
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

// C[MR x 16*NV] += sum over k of a[k*lda + i] * b[k*ldb + j], except that after every
// `segment` rows b skips `skipB` more floats (the padding columns between output rows).
template <int MR, int NV, bool kPrefetch, bool kStream = false>
inline __attribute__((always_inline)) void weightsKernel(size_t kc, size_t segment, size_t skipB,
                                                         const float* a, size_t lda,
                                                         const float* b, size_t ldb, float* c,
                                                         size_t ldc, const char* stream0 = nullptr,
                                                         size_t lines0 = 0,
                                                         const char* stream1 = nullptr,
                                                         size_t lines1 = 0) {
  __m512 acc[MR][NV];
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  // Each step reads a slice of one row of each operand, a whole row (lda, ldb floats: often
  // 1 KB) after the last, so the hardware's stride prefetch stops at every page boundary and
  // the loads wait on memory. Callers run chunks of kc rows (whole segments) back to back: the
  // prefetching variant fetches the same slice of the next chunk's row now (2 threads, 1x1
  // 256->64 56x56: 61% -> 90% of peak in a standalone test of this loop). Only where the next
  // call moves on to the next chunk: calls that revisit the same rows (the other taps of a
  // 3x3) ran slower with it.
  const size_t aAhead = kc * lda, bAhead = kc * ldb + kc / segment * skipB;
  for (size_t k0 = 0; k0 < kc; k0 += segment, b += skipB) {
    const size_t rows = kc - k0 < segment ? kc - k0 : segment;
    for (size_t k = 0; k < rows; ++k) {
      if (kStream) {  // one line of each stream per row of k
        if (lines0) {
          __builtin_prefetch(stream0, 0, 2);
          stream0 += 64;
          --lines0;
        }
        if (lines1) {
          __builtin_prefetch(stream1, 0, 2);
          stream1 += 64;
          --lines1;
        }
      }
      if (kPrefetch) {
        __builtin_prefetch(a + aAhead, 0, 2);
        __builtin_prefetch(a + aAhead + MR - 1, 0, 2);
        __builtin_prefetch(b + bAhead, 0, 2);
        __builtin_prefetch(b + bAhead + 16 * NV - 1, 0, 2);
      }
      __m512 bv[NV];
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 28
      for (int i = 0; i < MR; ++i) {
        const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
      }
      a += lda;
      b += ldb;
    }
  }
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* ci = c + i * ldc + 16 * v;
      _mm512_storeu_ps(ci, _mm512_add_ps(_mm512_loadu_ps(ci), acc[i][v]));
    }
}

}  // namespace

void f32_conv_weights_ukernel_14x32__avx512(size_t kc, size_t segment, size_t skipB,
    const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc) {
  weightsKernel<14, 2, false>(kc, segment, skipB, a, lda, b, ldb, c, ldc);
}

void f32_conv_weights_ukernel_16x16__avx512(size_t kc, size_t segment, size_t skipB,
    const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc) {
  weightsKernel<16, 1, false>(kc, segment, skipB, a, lda, b, ldb, c, ldc);
}

void f32_conv_weights_prefetch_ukernel_14x32__avx512(size_t kc, size_t segment, size_t skipB,
    const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc) {
  weightsKernel<14, 2, true>(kc, segment, skipB, a, lda, b, ldb, c, ldc);
}

void f32_conv_weights_prefetch_ukernel_16x16__avx512(size_t kc, size_t segment, size_t skipB,
    const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc) {
  weightsKernel<16, 1, true>(kc, segment, skipB, a, lda, b, ldb, c, ldc);
}

void f32_conv_weights_stream_ukernel_14x32__avx512(size_t kc, const float* a, size_t lda,
    const float* b, size_t ldb, float* c, size_t ldc, const void* stream0, size_t lines0,
    const void* stream1, size_t lines1) {
  weightsKernel<14, 2, false, true>(kc, kc, 0, a, lda, b, ldb, c, ldc,
                                    static_cast<const char*>(stream0), lines0,
                                    static_cast<const char*>(stream1), lines1);
}

void f32_conv_weights_stream_ukernel_16x16__avx512(size_t kc, const float* a, size_t lda,
    const float* b, size_t ldb, float* c, size_t ldc, const void* stream0, size_t lines0,
    const void* stream1, size_t lines1) {
  weightsKernel<16, 1, false, true>(kc, kc, 0, a, lda, b, ldb, c, ldc,
                                    static_cast<const char*>(stream0), lines0,
                                    static_cast<const char*>(stream1), lines1);
}

void f32_conv_taps_ukernel_14x32__avx512(size_t taps, const int64_t* offset, size_t kc,
                                         const float* a, size_t lda, const float* b, float* c,
                                         size_t ldc) {
  tapsKernel<14, 2>(taps, offset, kc, a, lda, b, c, ldc);
}

void f32_conv_taps_ukernel_28x16__avx512(size_t taps, const int64_t* offset, size_t kc,
                                         const float* a, size_t lda, const float* b, float* c,
                                         size_t ldc) {
  tapsKernel<28, 1>(taps, offset, kc, a, lda, b, c, ldc);
}

}  // namespace isa
}  // namespace convkit
