// Batch-norm row loops, compiled once per ISA: include inside `namespace convkit::isa::<isa>`.
// Plain loops over the channel dimension with restrict pointers: GCC vectorizes each inner
// loop at the TU's vector width (checked with -fopt-info-vec), so one body serves all paths.
#pragma once

namespace batchnorm_detail {

// Rows per statistics block: the block is read twice (its mean, then deviations from it),
// so it should stay in L1: about 16 KiB, between 8 and 256 rows.
static inline int64_t blockRows(int64_t C) {
  int64_t rows = 4096 / (C > 0 ? C : 1);
  return rows < 8 ? 8 : (rows > 256 ? 256 : rows);
}

static void stats(const float* __restrict x, int64_t rows, int64_t C, double* __restrict count,
                  double* __restrict mean, double* __restrict m2, float* __restrict scratch) {
  float* __restrict shift = scratch;
  float* __restrict s1 = scratch + C;
  float* __restrict s2 = scratch + 2 * C;
  const int64_t step = blockRows(C);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t n = rows - r0 < step ? rows - r0 : step;
    const float* __restrict block = x + r0 * C;
    for (int64_t c = 0; c < C; ++c) shift[c] = 0.0f;
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < C; ++c) shift[c] += block[r * C + c];
    const float inv = 1.0f / float(n);
    for (int64_t c = 0; c < C; ++c) {
      shift[c] *= inv;
      s1[c] = 0.0f;
      s2[c] = 0.0f;
    }
    for (int64_t r = 0; r < n; ++r)
      for (int64_t c = 0; c < C; ++c) {
        const float d = block[r * C + c] - shift[c];
        s1[c] += d;
        s2[c] += d * d;
      }
    // Block mean = shift + s1/n exactly; block M2 = s2 - s1^2/n (shift is not the exact mean).
    const double nb = double(n), na = *count, total = na + nb;
    const double wb = nb / total, wab = na * nb / total;
    for (int64_t c = 0; c < C; ++c) {
      const double blockMean = double(shift[c]) + double(s1[c]) / nb;
      const double blockM2 = double(s2[c]) - double(s1[c]) * double(s1[c]) / nb;
      const double delta = blockMean - mean[c];
      mean[c] += delta * wb;
      m2[c] += blockM2 + delta * delta * wab;
    }
    *count = total;
  }
}

template <int A>
static inline float activate(float v) {
  if (A == 1) return v < 0.0f ? 0.0f : v;
  if (A == 2) return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
  return v;
}

template <int A>
static inline float maskGradient(float y, float dy) {
  if (A == 1) return y > 0.0f ? dy : 0.0f;
  if (A == 2) return (y > 0.0f) & (y < 6.0f) ? dy : 0.0f;
  return dy;
}

template <int A>
static void apply(const float* __restrict x, float* __restrict y, int64_t rows, int64_t C,
                  const float* __restrict meanHi, const float* __restrict meanLo,
                  const float* __restrict scale, const float* __restrict beta) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * C;
    float* __restrict yr = y + r * C;
    for (int64_t c = 0; c < C; ++c)
      yr[c] = activate<A>(((xr[c] - meanHi[c]) - meanLo[c]) * scale[c] + beta[c]);
  }
}

template <int A>
static void backwardSums(const float* __restrict x, const float* __restrict dy,
                         const float* __restrict y, int64_t rows, int64_t C,
                         const float* __restrict mean, double* __restrict sumG,
                         double* __restrict sumGX, float* __restrict scratch) {
  float* __restrict sg = scratch;
  float* __restrict sgx = scratch + C;
  const int64_t step = blockRows(C);
  for (int64_t r0 = 0; r0 < rows; r0 += step) {
    const int64_t n = rows - r0 < step ? rows - r0 : step;
    for (int64_t c = 0; c < C; ++c) {
      sg[c] = 0.0f;
      sgx[c] = 0.0f;
    }
    for (int64_t r = r0; r < r0 + n; ++r) {
      const float* __restrict xr = x + r * C;
      const float* __restrict dyr = dy + r * C;
      const float* __restrict yr = A ? y + r * C : dyr;
      for (int64_t c = 0; c < C; ++c) {
        const float g = maskGradient<A>(yr[c], dyr[c]);
        sg[c] += g;
        sgx[c] += g * (xr[c] - mean[c]);
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      sumG[c] += sg[c];
      sumGX[c] += sgx[c];
    }
  }
}

template <int A>
static void backwardApply(const float* __restrict x, const float* __restrict dy,
                          const float* __restrict y, float* __restrict dx, int64_t rows,
                          int64_t C, const float* __restrict mean, const float* __restrict a,
                          const float* __restrict b, const float* __restrict d) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict xr = x + r * C;
    const float* __restrict dyr = dy + r * C;
    const float* __restrict yr = A ? y + r * C : dyr;
    float* __restrict dxr = dx + r * C;
    for (int64_t c = 0; c < C; ++c)
      dxr[c] = a[c] * maskGradient<A>(yr[c], dyr[c]) + b[c] * (xr[c] - mean[c]) + d[c];
  }
}

}  // namespace batchnorm_detail
