// f32 GEMM microkernel, 4x8 tile, plain C++ (no -m flags). The k loop is written so that GCC
// and Clang auto-vectorise it for the baseline (x86-64 SSE2: 8 xmm accumulators + 2 for B +
// 1 broadcast = 11 of 16; arm64 NEON: 8 of 32 q registers).
#include "../gemm_ukernels.h"

namespace convkit {
namespace isa {

namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

template <bool kPackedA>
inline __attribute__((always_inline)) void ukernel(size_t kc, const float* a, size_t lda,
                                                   const float* __restrict b,
                                                   float* __restrict c, size_t ldc,
                                                   const GemmUkernelParams* p) {
  float acc[kMR][kNR] = {};
  for (size_t k = 0; k < kc; ++k) {
    for (int i = 0; i < kMR; ++i) {
      const float ai = kPackedA ? a[i] : a[i * lda];
      for (int j = 0; j < kNR; ++j) acc[i][j] += ai * b[j];
    }
    b += kNR;
    a += kPackedA ? kMR : 1;
  }
  const float beta = p->beta;
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    float v[kNR];
    for (int j = 0; j < kNR; ++j) v[j] = acc[i][j];
    if (beta == 1.0f) {
      for (int j = 0; j < kNR; ++j) v[j] += ci[j];
    } else if (beta != 0.0f) {
      for (int j = 0; j < kNR; ++j) v[j] += beta * ci[j];
    }
    if (p->bias)
      for (int j = 0; j < kNR; ++j) v[j] += p->bias[j];
    if (p->residual) {
      const float* r = p->residual + i * p->ldResidual;
      for (int j = 0; j < kNR; ++j) v[j] += r[j];
    }
    if (p->activation != 0) {
      for (int j = 0; j < kNR; ++j) v[j] = v[j] > 0.0f ? v[j] : 0.0f;
      if (p->activation == 2)
        for (int j = 0; j < kNR; ++j) v[j] = v[j] < 6.0f ? v[j] : 6.0f;
    }
    for (int j = 0; j < kNR; ++j) ci[j] = v[j];
  }
}

}  // namespace

void f32_gemm_ukernel_4x8__generic(size_t kc, const float* a, size_t lda, const float* b,
                                   float* c, size_t ldc, const GemmUkernelParams* params) {
  ukernel<false>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_ukernel_4x8_packeda__generic(size_t kc, const float* a, size_t lda,
                                           const float* b, float* c, size_t ldc,
                                           const GemmUkernelParams* params) {
  ukernel<true>(kc, a, lda, b, c, ldc, params);
}

void f32_gemm_packb_8__generic(bool transB, size_t kc, size_t nc, const float* b, size_t ldb,
                               float alpha, float* dst, size_t panelBegin, size_t panelEnd) {
  for (size_t p = panelBegin; p < panelEnd; ++p) {
    const size_t j0 = p * kNR;
    const size_t nr = nc - j0 < size_t(kNR) ? nc - j0 : size_t(kNR);
    float* d = dst + p * kc * kNR;
    if (!transB) {
      const float* s = b + j0;
      for (size_t k = 0; k < kc; ++k, s += ldb, d += kNR)
        for (size_t j = 0; j < size_t(kNR); ++j) d[j] = j < nr ? alpha * s[j] : 0.0f;
    } else {
      for (size_t j = 0; j < size_t(kNR); ++j) {
        if (j < nr) {
          const float* s = b + (j0 + j) * ldb;
          for (size_t k = 0; k < kc; ++k) d[k * kNR + j] = alpha * s[k];
        } else {
          for (size_t k = 0; k < kc; ++k) d[k * kNR + j] = 0.0f;
        }
      }
    }
  }
}

}  // namespace isa
}  // namespace convkit
