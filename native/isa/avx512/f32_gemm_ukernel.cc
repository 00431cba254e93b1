// f32 GEMM microkernels, AVX-512F (compiled with the avx512 flags only): the 14x32 register
// tile, and 28x16 for N <= 16.
// 28 zmm accumulators + 2 zmm for the B row; A is broadcast straight from memory as an
// embedded-broadcast operand (vfmadd231ps zmm, zmm, [mem]{1to16}), so 30 of 32 zmm are live
// and the inner loop does 2 loads + 14 broadcast-FMAs x 2 per k with no spills.
// MR = 14 divides the ResNet im2col heights (N*H*W = multiples of 49 and 196).
// GCC 12 reports -Wmaybe-uninitialized inside its own avx512fintrin.h (the `__Y = __Y`
// idiom of _mm512_undefined_ps, GCC bug 105593); silence it for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "../gemm_ukernels.h"

namespace convkit {
namespace isa {

namespace {

constexpr int kNR = 32;

// An edge tile of at most 16 columns (p->columns) of a 32-wide packed B panel: only the first
// of the two B vectors per k, half the FMAs (N = 40, 80, 112, 144, 240: the last panel).
// Each column's sum is the same sequence of FMAs as in the full tile.
template <int kMR, bool kPackedA>
__attribute__((noinline)) void ukernelHalf(size_t kc, const float* a, size_t lda, const float* b,
                                           float* c, size_t ldc, const GemmUkernelParams* p) {
  __m512 acc[kMR];
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) acc[i] = _mm512_setzero_ps();
  const float* a7 = a + 7 * lda;
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    b += kNR;
#pragma GCC unroll 14
    for (int i = 0; i < kMR; ++i) {
      const float* src = kPackedA ? a + i : (i < 7 ? a + i * lda : a7 + (i - 7) * lda);
      acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(*src), b0, acc[i]);
    }
    if (kPackedA) {
      a += kMR;
    } else {
      a += 1;
      a7 += 1;
    }
  }
  const __mmask16 m = static_cast<__mmask16>(p->columns >= 16 ? 0xffff : (1u << p->columns) - 1);
  const __m512 bias = p->bias ? _mm512_maskz_loadu_ps(m, p->bias) : _mm512_setzero_ps();
  const __m512 vbeta = _mm512_set1_ps(p->beta);
  const float* r = p->residual;
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    __m512 v = acc[i];
    if (p->beta == 1.0f)
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ci));
    else if (p->beta != 0.0f)
      v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m, ci), v);
    v = _mm512_add_ps(v, bias);
    if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i * p->ldResidual));
    if (p->activation != 0) {
      v = _mm512_max_ps(v, _mm512_setzero_ps());
      if (p->activation == 2) v = _mm512_min_ps(v, _mm512_set1_ps(6.0f));
    }
    _mm512_mask_storeu_ps(ci, m, v);
  }
}

// MR rows x 32 columns, MR <= 14 (14: the main tile; 8: row counts that are multiples of 8
// but not of 14, e.g. M = Cout = 64 in backward-weights, where 14 would leave an edge tile).
template <int kMR, bool kPackedA>
inline __attribute__((always_inline)) void ukernel(size_t kc, const float* a, size_t lda,
                                                   const float* b, float* c, size_t ldc,
                                                   const GemmUkernelParams* p) {
  static_assert(kMR <= 14, "two base pointers of 7 rows each");
  if (p->columns > 0 && p->columns <= 16)
    return ukernelHalf<kMR, kPackedA>(kc, a, lda, b, c, ldc, p);
  __m512 acc0[kMR], acc1[kMR];
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  if (!p->stream) {
#pragma GCC unroll 14
    for (int i = 0; i < kMR; ++i) {  // the C tile is needed only after the K loop
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
    }
  }
  // Direct A: rows at a + i*lda. Two base pointers keep the addressing in [base + idx*scale]
  // form without needing 14 GPRs.
  const float* a7 = a + 7 * lda;
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
    b += kNR;
#pragma GCC unroll 14
    for (int i = 0; i < kMR; ++i) {
      const float* src = kPackedA ? a + i : (i < 7 ? a + i * lda : a7 + (i - 7) * lda);
      const __m512 ai = _mm512_set1_ps(*src);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    if (kPackedA) {
      a += kMR;
    } else {
      a += 1;
      a7 += 1;
    }
  }

  const float beta = p->beta;
  // Columns of C to touch: all 32, or an edge tile's first p->columns.
  const int cols = p->columns > 0 ? p->columns : kNR;
  const __mmask16 m0 = cols >= 16 ? 0xffff : static_cast<__mmask16>((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xffff : cols <= 16 ? 0 : static_cast<__mmask16>((1u << (cols - 16)) - 1);
  __m512 bias0 = _mm512_setzero_ps(), bias1 = _mm512_setzero_ps();
  if (p->bias) {
    bias0 = _mm512_maskz_loadu_ps(m0, p->bias);
    bias1 = _mm512_maskz_loadu_ps(m1, p->bias + 16);
  }
  const __m512 vbeta = _mm512_set1_ps(beta);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 six = _mm512_set1_ps(6.0f);
  const float* r = p->residual;
  const int act = p->activation;
#pragma GCC unroll 14
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    __m512 v0 = acc0[i], v1 = acc1[i];
    if (beta == 1.0f) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
    } else if (beta != 0.0f) {
      v0 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m0, ci), v0);
      v1 = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
    }
    v0 = _mm512_add_ps(v0, bias0);
    v1 = _mm512_add_ps(v1, bias1);
    if (r) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r + i * p->ldResidual));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + i * p->ldResidual + 16));
    }
    if (act != 0) {
      v0 = _mm512_max_ps(v0, zero);
      v1 = _mm512_max_ps(v1, zero);
      if (act == 2) {
        v0 = _mm512_min_ps(v0, six);
        v1 = _mm512_min_ps(v1, six);
      }
    }
    if (p->stream) {
      _mm512_stream_ps(ci, v0);
      _mm512_stream_ps(ci + 16, v1);
    } else {
      _mm512_mask_storeu_ps(ci, m0, v0);
      _mm512_mask_storeu_ps(ci + 16, m1, v1);
    }
  }
}

// 28x16 tile for narrow GEMMs (N <= 16: convolutions with 16 or fewer output channels, where
// the 14x32 tile would compute half zeros): 28 zmm accumulators + 1 for the B row; one load and
// 28 broadcast-FMAs per k. Four base pointers (rows 0, 7, 14, 21) keep addressing in
// [base + idx*scale] form.
template <bool kPackedA>
inline __attribute__((always_inline)) void ukernel28x16(size_t kc, const float* a, size_t lda,
                                                        const float* b, float* c, size_t ldc,
                                                        const GemmUkernelParams* p) {
  constexpr int MR = 28;
  __m512 acc[MR];
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i) acc[i] = _mm512_setzero_ps();
  if (!p->stream) {
#pragma GCC unroll 28
    for (int i = 0; i < MR; ++i) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
  }
  const float* a7 = a + 7 * lda;
  const float* a14 = a + 14 * lda;
  const float* a21 = a + 21 * lda;
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b);
    b += 16;
#pragma GCC unroll 28
    for (int i = 0; i < MR; ++i) {
      const float* src = kPackedA ? a + i
                         : i < 7  ? a + i * lda
                         : i < 14 ? a7 + (i - 7) * lda
                         : i < 21 ? a14 + (i - 14) * lda
                                  : a21 + (i - 21) * lda;
      acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(*src), b0, acc[i]);
    }
    if (kPackedA) {
      a += MR;
    } else {
      a += 1;
      a7 += 1;
      a14 += 1;
      a21 += 1;
    }
  }
  const float beta = p->beta;
  const int cols = p->columns > 0 ? p->columns : 16;  // as in ukernel above
  const __mmask16 m = static_cast<__mmask16>(cols >= 16 ? 0xffff : (1u << cols) - 1);
  const __m512 bias = p->bias ? _mm512_maskz_loadu_ps(m, p->bias) : _mm512_setzero_ps();
  const __m512 vbeta = _mm512_set1_ps(beta);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 six = _mm512_set1_ps(6.0f);
  const float* r = p->residual;
  const int act = p->activation;
#pragma GCC unroll 28
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m512 v = acc[i];
    if (beta == 1.0f)
      v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, ci));
    else if (beta != 0.0f)
      v = _mm512_fmadd_ps(vbeta, _mm512_maskz_loadu_ps(m, ci), v);
    v = _mm512_add_ps(v, bias);
    if (r) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, r + i * p->ldResidual));
    if (act != 0) {
      v = _mm512_max_ps(v, zero);
      if (act == 2) v = _mm512_min_ps(v, six);
    }
    if (p->stream)
      _mm512_stream_ps(ci, v);
    else
      _mm512_mask_storeu_ps(ci, m, v);
  }
}

// 16x16 transpose of the rows in r[0..15] (in place).
inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  // Now r[4q + s] holds, in each 128-bit lane L, row (4q..4q+3) elements for column 4L + s.
  for (int i = 0; i < 4; ++i) {
    // combine groups q=0,1 and q=2,3 at 128-bit granularity
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);       // lanes 0,2 of a | 0,2 of b
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);   // lanes 1,3 | 1,3
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    // t[i] = [q0 L0, q0 L2, q1 L0, q1 L2], t[8+i] = [q2 L0, q2 L2, q3 L0, q3 L2]
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);        // [q0L0,q1L0,q2L0,q3L0] col i
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);    // col 8+i
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);  // col 4+i
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);  // col 12+i
  }
}

}  // namespace

void f32_gemm_ukernel_14x32__avx512(size_t kc, const float* a, size_t lda, const float* b,
                                    float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel<14, false>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_14x32_packeda__avx512(size_t kc, const float* a, size_t lda,
                                            const float* b, float* c, size_t ldc,
                                            const GemmUkernelParams* params) {
  ukernel<14, true>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_8x32__avx512(size_t kc, const float* a, size_t lda, const float* b,
                                   float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel<8, false>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_8x32_packeda__avx512(size_t kc, const float* a, size_t lda,
                                           const float* b, float* c, size_t ldc,
                                           const GemmUkernelParams* params) {
  ukernel<8, true>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_28x16__avx512(size_t kc, const float* a, size_t lda, const float* b,
                                    float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel28x16<false>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_28x16_packeda__avx512(size_t kc, const float* a, size_t lda,
                                            const float* b, float* c, size_t ldc,
                                            const GemmUkernelParams* params) {
  ukernel28x16<true>(kc, a, lda, b, c, ldc, params);
}

// 16-column panels for the 28x16 tile.
void f32_gemm_packb_16__avx512(bool transB, size_t kc, size_t nc, const float* b, size_t ldb,
                               float alpha, float* dst, size_t panelBegin, size_t panelEnd) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (size_t p = panelBegin; p < panelEnd; ++p) {
    const size_t j0 = p * 16;
    const size_t nr = nc - j0 < 16 ? nc - j0 : 16;
    float* d = dst + p * kc * 16;
    if (!transB) {
      const __mmask16 m = nr >= 16 ? 0xffff : __mmask16((1u << nr) - 1);
      const float* s = b + j0;
      for (size_t k = 0; k < kc; ++k, s += ldb, d += 16)
        _mm512_store_ps(d, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, s)));
    } else {
      size_t k = 0;
      for (; k < kc; k += 16) {
        const size_t rem = kc - k < 16 ? kc - k : 16;
        const __mmask16 mk = rem >= 16 ? 0xffff : __mmask16((1u << rem) - 1);
        __m512 r[16];
        for (size_t j = 0; j < 16; ++j)
          r[j] = j < nr ? _mm512_mul_ps(va, _mm512_maskz_loadu_ps(mk, b + (j0 + j) * ldb + k))
                        : _mm512_setzero_ps();
        transpose16(r);
        for (size_t q = 0; q < rem; ++q) _mm512_store_ps(d + (k + q) * 16, r[q]);
      }
    }
  }
}

void f32_gemm_packb_32__avx512(bool transB, size_t kc, size_t nc, const float* b, size_t ldb,
                               float alpha, float* dst, size_t panelBegin, size_t panelEnd) {
  const __m512 va = _mm512_set1_ps(alpha);
  for (size_t p = panelBegin; p < panelEnd; ++p) {
    const size_t j0 = p * kNR;
    const size_t nr = nc - j0 < size_t(kNR) ? nc - j0 : size_t(kNR);
    float* d = dst + p * kc * kNR;
    if (!transB) {
      // B is kc x nc row-major: each k row of the panel is a contiguous copy.
      const __mmask16 m0 = nr >= 16 ? 0xffff : __mmask16((1u << nr) - 1);
      const __mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : __mmask16((1u << (nr - 16)) - 1);
      const float* s = b + j0;
      for (size_t k = 0; k < kc; ++k, s += ldb, d += kNR) {
        _mm512_store_ps(d, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m0, s)));
        _mm512_store_ps(d + 16, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m1, s + 16)));
      }
    } else {
      // B is nc x kc row-major (k contiguous): transpose 16x16 blocks.
      for (size_t h = 0; h < 2; ++h) {
        const size_t jh = j0 + h * 16;
        const size_t rows = nr > h * 16 ? (nr - h * 16 < 16 ? nr - h * 16 : 16) : 0;
        size_t k = 0;
        for (; k + 16 <= kc; k += 16) {
          __m512 r[16];
          for (size_t j = 0; j < 16; ++j)
            r[j] = j < rows ? _mm512_mul_ps(va, _mm512_loadu_ps(b + (jh + j) * ldb + k))
                            : _mm512_setzero_ps();
          transpose16(r);
          for (int q = 0; q < 16; ++q) _mm512_store_ps(d + (k + q) * kNR + h * 16, r[q]);
        }
        if (k < kc) {
          const size_t rem = kc - k;
          const __mmask16 mk = __mmask16((1u << rem) - 1);
          __m512 r[16];
          for (size_t j = 0; j < 16; ++j)
            r[j] = j < rows ? _mm512_mul_ps(va, _mm512_maskz_loadu_ps(mk, b + (jh + j) * ldb + k))
                            : _mm512_setzero_ps();
          transpose16(r);
          for (size_t q = 0; q < rem; ++q) _mm512_store_ps(d + (k + q) * kNR + h * 16, r[q]);
        }
      }
    }
  }
}

}  // namespace isa
}  // namespace convkit
