// f32 GEMM microkernel, 6x16 register tile, AVX2 + FMA3 (compiled with -mavx2 -mfma only).
// 12 ymm accumulators + 2 ymm for the B row + 1 broadcast = 15 of 16 ymm: no spills.
#include <immintrin.h>

#include "../gemm_ukernels.h"

namespace convkit {
namespace isa {

namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;

template <bool kPackedA>
inline __attribute__((always_inline)) void ukernel(size_t kc, const float* a, size_t lda,
                                                   const float* b, float* c, size_t ldc,
                                                   const GemmUkernelParams* p) {
  __m256 acc0[kMR], acc1[kMR];
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    acc0[i] = _mm256_setzero_ps();
    acc1[i] = _mm256_setzero_ps();
  }
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {  // the C tile is needed only after the K loop
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + kNR - 1), _MM_HINT_T0);
  }
  const float* a3 = a + 3 * lda;
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    b += kNR;
#pragma GCC unroll 6
    for (int i = 0; i < kMR; ++i) {
      const float* src = kPackedA ? a + i : (i < 3 ? a + i * lda : a3 + (i - 3) * lda);
      const __m256 ai = _mm256_broadcast_ss(src);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    if (kPackedA) {
      a += kMR;
    } else {
      a += 1;
      a3 += 1;
    }
  }

  const float beta = p->beta;
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (p->bias) {
    bias0 = _mm256_loadu_ps(p->bias);
    bias1 = _mm256_loadu_ps(p->bias + 8);
  }
  const __m256 vbeta = _mm256_set1_ps(beta);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 six = _mm256_set1_ps(6.0f);
  const float* r = p->residual;
  const int act = p->activation;
#pragma GCC unroll 6
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    __m256 v0 = acc0[i], v1 = acc1[i];
    if (beta == 1.0f) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8));
    } else if (beta != 0.0f) {
      v0 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci), v0);
      v1 = _mm256_fmadd_ps(vbeta, _mm256_loadu_ps(ci + 8), v1);
    }
    v0 = _mm256_add_ps(v0, bias0);
    v1 = _mm256_add_ps(v1, bias1);
    if (r) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(r + i * p->ldResidual));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(r + i * p->ldResidual + 8));
    }
    if (act != 0) {
      v0 = _mm256_max_ps(v0, zero);
      v1 = _mm256_max_ps(v1, zero);
      if (act == 2) {
        v0 = _mm256_min_ps(v0, six);
        v1 = _mm256_min_ps(v1, six);
      }
    }
    _mm256_storeu_ps(ci, v0);
    _mm256_storeu_ps(ci + 8, v1);
  }
}

// 8x8 transpose of r[0..7] in place.
inline __attribute__((always_inline)) void transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  __m256 s[8];
  for (int i = 0; i < 8; i += 4) {
    s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

}  // namespace

void f32_gemm_ukernel_6x16__avx2(size_t kc, const float* a, size_t lda, const float* b,
                                 float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel<false>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_6x16_packeda__avx2(size_t kc, const float* a, size_t lda, const float* b,
                                         float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel<true>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_packb_16__avx2(bool transB, size_t kc, size_t nc, const float* b, size_t ldb,
                             float alpha, float* dst, size_t panelBegin, size_t panelEnd) {
  const __m256 va = _mm256_set1_ps(alpha);
  for (size_t p = panelBegin; p < panelEnd; ++p) {
    const size_t j0 = p * kNR;
    const size_t nr = nc - j0 < size_t(kNR) ? nc - j0 : size_t(kNR);
    float* d = dst + p * kc * kNR;
    if (!transB) {
      const float* s = b + j0;
      if (nr == size_t(kNR)) {
        for (size_t k = 0; k < kc; ++k, s += ldb, d += kNR) {
          _mm256_store_ps(d, _mm256_mul_ps(va, _mm256_loadu_ps(s)));
          _mm256_store_ps(d + 8, _mm256_mul_ps(va, _mm256_loadu_ps(s + 8)));
        }
      } else {
        for (size_t k = 0; k < kc; ++k, s += ldb, d += kNR) {
          for (size_t j = 0; j < size_t(kNR); ++j) d[j] = j < nr ? alpha * s[j] : 0.0f;
        }
      }
    } else {
      for (size_t h = 0; h < 2; ++h) {
        const size_t jh = j0 + h * 8;
        const size_t rows = nr > h * 8 ? (nr - h * 8 < 8 ? nr - h * 8 : 8) : 0;
        size_t k = 0;
        if (rows == 8) {
          for (; k + 8 <= kc; k += 8) {
            __m256 r[8];
            for (size_t j = 0; j < 8; ++j)
              r[j] = _mm256_mul_ps(va, _mm256_loadu_ps(b + (jh + j) * ldb + k));
            transpose8(r);
            for (int q = 0; q < 8; ++q) _mm256_store_ps(d + (k + q) * kNR + h * 8, r[q]);
          }
        }
        for (; k < kc; ++k)
          for (size_t j = 0; j < 8; ++j)
            d[k * kNR + h * 8 + j] = j < rows ? alpha * b[(jh + j) * ldb + k] : 0.0f;
      }
    }
  }
}

}  // namespace isa
}  // namespace convkit
