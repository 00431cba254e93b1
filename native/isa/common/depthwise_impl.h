// Depthwise convolution row kernels, written once over a small vector interface and compiled
// per ISA: native/isa/<isa>/depthwise.cc defines `struct Vec` (T, kLanes, zero, set1, load,
// loadTail, store, storeTail, fma, add, max, min) inside namespace convkit::isa::<isa>::depthwise and
// includes this file there, so every ISA gets its own copy (no ODR merging).
// Included only by ISA TUs. Lanes run across channels (NHWC: channels are contiguous).
//
// Each output row is split into border columns (some taps fall into the padding: per-pixel
// tap ranges) and interior columns (every tap inside the input: no bounds checks, tap count
// known at compile time for the common kernel sizes so the weight vectors stay in registers).
// Channel tails use loadTail/storeTail (masks on AVX-512 and AVX2, a lane loop on generic);
// the tail lanes load as zero, and weights/bias/partial sums are padded to Cp, so only the
// activation tensors need tail handling.

#include "depthwise_helpers_impl.h"
#include "depthwise_window_impl.h"

// Output columns [lo, hi) whose taps all lie inside the input (no padding read).
struct ColumnRange {
  int64_t lo, hi;
};
inline ColumnRange interiorColumns(const DepthwiseArgs& a) {
  int64_t lo = a.padLeft <= 0 ? 0 : (a.padLeft + a.strideW - 1) / a.strideW;
  const int64_t last = a.W - 1 + a.padLeft - a.dilationW * (a.KW - 1);
  int64_t hi = last < 0 ? 0 : last / a.strideW + 1;
  lo = std::min(lo, a.OW);
  hi = std::max(std::min(hi, a.OW), lo);
  return {lo, hi};
}

// ---------------------------------------------------------------------------------------------
// Forward

// One output pixel, every channel, with per-pixel tap ranges (border columns and rows).
template <bool kTail>
inline void forwardPixelBlock(const DepthwiseArgs& a, const float* xImage, int64_t ihBase,
                              TapRange kh, int64_t iwBase, TapRange kw, int64_t c0, int n,
                              float* yPixel) {
  T acc = a.bias ? Vec::load(a.bias + c0) : Vec::zero();
  for (int64_t i = kh.lo; i < kh.hi; ++i) {
    const float* xRow = xImage + (ihBase + i * a.dilationH) * a.W * a.C + c0;
    const float* wRow = a.weight + i * a.KW * a.Cp + c0;
    for (int64_t j = kw.lo; j < kw.hi; ++j)
      acc = Vec::fma(ld<kTail>(xRow + (iwBase + j * a.dilationW) * a.C, n),
                     Vec::load(wRow + j * a.Cp), acc);
  }
  st<kTail>(yPixel + c0, activate(acc, a.activation), n);
}

inline void forwardPixel(const DepthwiseArgs& a, const float* xImage, int64_t ihBase,
                         TapRange kh, int64_t ow, float* yRow) {
  const int64_t iwBase = ow * a.strideW - a.padLeft;
  const TapRange kw = tapRange(iwBase, a.W, a.KW, a.dilationW);
  float* yPixel = yRow + ow * a.C;
  int64_t c0 = 0;
  for (; c0 + L <= a.C; c0 += L)
    forwardPixelBlock<false>(a, xImage, ihBase, kh, iwBase, kw, c0, L, yPixel);
  if (c0 < a.C)
    forwardPixelBlock<true>(a, xImage, ihBase, kh, iwBase, kw, c0, int(a.C - c0), yPixel);
}

// Interior columns [owLo, owHi) of a row whose KH taps are all inside the input; channel block
// outermost so the KH*KW weight vectors are loaded once per block and stay in registers.
// Four output pixels per step: four independent FMA chains hide the FMA latency (one chain of
// KH*KW dependent FMAs per pixel would run at a quarter of the FMA throughput).
template <int KH, int KW, bool kTail>
inline void forwardInteriorBlock(const DepthwiseArgs& a, const float* xRow0, int64_t owLo,
                                 int64_t owHi, int64_t c0, int n, float* yRow) {
  constexpr int kPixels = 4;
  T w[KH * KW];
  for (int t = 0; t < KH * KW; ++t) w[t] = Vec::load(a.weight + t * a.Cp + c0);
  const T b = a.bias ? Vec::load(a.bias + c0) : Vec::zero();
  const int activation = a.activation;
  const int64_t rowStep = a.dilationH * a.W * a.C, colStep = a.dilationW * a.C;
  const int64_t xStep = a.strideW * a.C;
  const float* xp = xRow0 + (owLo * a.strideW - a.padLeft) * a.C + c0;
  float* yp = yRow + owLo * a.C + c0;
  int64_t ow = owLo;
  for (; ow + kPixels <= owHi; ow += kPixels, xp += kPixels * xStep, yp += kPixels * a.C) {
    T acc[kPixels];
    for (int u = 0; u < kPixels; ++u) acc[u] = b;
#pragma GCC unroll 8
    for (int i = 0; i < KH; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j)
#pragma GCC unroll 4
        for (int u = 0; u < kPixels; ++u)
          acc[u] = Vec::fma(ld<kTail>(xp + u * xStep + i * rowStep + j * colStep, n),
                            w[i * KW + j], acc[u]);
    for (int u = 0; u < kPixels; ++u) st<kTail>(yp + u * a.C, activate(acc[u], activation), n);
  }
  for (; ow < owHi; ++ow, xp += xStep, yp += a.C) {
    T acc = b;
#pragma GCC unroll 8
    for (int i = 0; i < KH; ++i)
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j)
        acc = Vec::fma(ld<kTail>(xp + i * rowStep + j * colStep, n), w[i * KW + j], acc);
    st<kTail>(yp, activate(acc, activation), n);
  }
}

template <int KH, int KW>
void forwardInterior(const DepthwiseArgs& a, const float* xRow0, int64_t owLo, int64_t owHi,
                     float* yRow) {
  int64_t c0 = 0;
  for (; c0 + L <= a.C; c0 += L)
    forwardInteriorBlock<KH, KW, false>(a, xRow0, owLo, owHi, c0, L, yRow);
  if (c0 < a.C)
    forwardInteriorBlock<KH, KW, true>(a, xRow0, owLo, owHi, c0, int(a.C - c0), yRow);
}

typedef void (*ForwardInteriorFn)(const DepthwiseArgs&, const float*, int64_t, int64_t, float*);

// Kernel sizes of MobileNet / EfficientNet / Inception; others take the per-pixel path.
inline ForwardInteriorFn forwardInteriorFor(int64_t KH, int64_t KW) {
  if (KH == 3 && KW == 3) return forwardInterior<3, 3>;
  if (KH == 5 && KW == 5) return forwardInterior<5, 5>;
  if (KH == 7 && KW == 7) return forwardInterior<7, 7>;
  if (KH == 1 && KW == 3) return forwardInterior<1, 3>;
  if (KH == 3 && KW == 1) return forwardInterior<3, 1>;
  if (KH == 1 && KW == 7) return forwardInterior<1, 7>;
  if (KH == 7 && KW == 1) return forwardInterior<7, 1>;
  if (KH == 1 && KW == 1) return forwardInterior<1, 1>;
  return nullptr;
}

inline void forwardRows(const DepthwiseArgs& a, const float* x, float* y, int64_t rowBegin,
                        int64_t rowEnd) {
  if (const WindowForwardFn window = windowForwardFor(a)) return window(a, x, y, rowBegin, rowEnd);
  const ColumnRange cols = interiorColumns(a);
  const ForwardInteriorFn interior = forwardInteriorFor(a.KH, a.KW);
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    const int64_t image = r / a.OH, oh = r % a.OH;
    const float* xImage = x + image * a.H * a.W * a.C;
    float* yRow = y + r * a.OW * a.C;
    const int64_t ihBase = oh * a.strideH - a.padTop;
    const TapRange kh = tapRange(ihBase, a.H, a.KH, a.dilationH);
    if (interior && kh.lo == 0 && kh.hi == a.KH) {
      for (int64_t ow = 0; ow < cols.lo; ++ow) forwardPixel(a, xImage, ihBase, kh, ow, yRow);
      interior(a, xImage + ihBase * a.W * a.C, cols.lo, cols.hi, yRow);
      for (int64_t ow = cols.hi; ow < a.OW; ++ow) forwardPixel(a, xImage, ihBase, kh, ow, yRow);
    } else {
      for (int64_t ow = 0; ow < a.OW; ++ow) forwardPixel(a, xImage, ihBase, kh, ow, yRow);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward data by gathering: dx[ih, iw] = sum of dy[oh, ow] * w[kh, kw] over the taps with
// oh * strideH - padTop + kh * dilationH = ih (and likewise for columns).

struct Tap {
  int64_t k, o;  // kernel tap, output index
};

// The taps of one input index along an axis; returns how many (at most `taps`).
inline int gatherTaps(int64_t i, int64_t pad, int64_t stride, int64_t dilation, int64_t taps,
                      int64_t outSize, Tap* out) {
  int count = 0;
  for (int64_t k = 0; k < taps; ++k) {
    const int64_t t = i + pad - k * dilation;
    if (t < 0) break;  // t only decreases with k
    if (t % stride != 0 || t / stride >= outSize) continue;
    out[count++] = {k, t / stride};
  }
  return count;
}

// One input pixel, one channel block: the sum over its `count` taps, given as offsets into dy
// (from the image start) and into the packed weights.
template <bool kTail>
inline void backwardDataPixelBlock(const float* dyImage, const float* weight, const int64_t* dyOffset,
                                   const int64_t* wOffset, int count, int n, float* dxPixel) {
  T acc0 = Vec::zero(), acc1 = Vec::zero();
  int t = 0;
  for (; t + 2 <= count; t += 2) {  // two chains: taps come in pairs at stride 2
    acc0 = Vec::fma(ld<kTail>(dyImage + dyOffset[t], n), Vec::load(weight + wOffset[t]), acc0);
    acc1 = Vec::fma(ld<kTail>(dyImage + dyOffset[t + 1], n), Vec::load(weight + wOffset[t + 1]),
                    acc1);
  }
  if (t < count) acc0 = Vec::fma(ld<kTail>(dyImage + dyOffset[t], n), Vec::load(weight + wOffset[t]), acc0);
  st<kTail>(dxPixel, Vec::add(acc0, acc1), n);
}

// Stride 2, dilation 1, a square odd kernel K (3 or 5): interior input columns come in pairs,
// iw with iw + padLeft even (taps kw = 0, 2, ..) and iw + 1 (kw = 1, 3, ..), both reading dy
// columns b, b - 1, .. (b = (iw + padLeft) / 2). Per pair and row tap: (K + 1) / 2 loads and K
// FMAs, the weights in registers, no offset tables (the per-pixel gather spent more time on
// its offsets than on its FMAs: MobileNetV2's 112x112x96 stride 2 at batch 16, 8.1 ms against
// the forward's 3.9). Two pairs per step: four independent accumulators.
template <int K, int RC, bool kTail>
inline void backwardDataPairsBlock(const float* const* dyRows, const float* const* wRows,
                                   int64_t C, int64_t Cp, int64_t bLo, int64_t pairs, int64_t c0,
                                   int n, float* dx) {
  constexpr int kA = (K + 1) / 2, kB = K / 2;
  T wA[RC][kA], wB[RC][kB];
  for (int r = 0; r < RC; ++r) {
    for (int j = 0; j < kA; ++j) wA[r][j] = Vec::load(wRows[r] + 2 * j * Cp + c0);
    for (int j = 0; j < kB; ++j) wB[r][j] = Vec::load(wRows[r] + (2 * j + 1) * Cp + c0);
  }
  float* out = dx + c0;
  int64_t p = 0;
  for (; p + 2 <= pairs; p += 2, out += 4 * C) {
    T a0 = Vec::zero(), b0 = Vec::zero(), a1 = Vec::zero(), b1 = Vec::zero();
#pragma GCC unroll 3
    for (int r = 0; r < RC; ++r) {
      const float* d = dyRows[r] + (bLo + p) * C + c0;  // dy column b of the first pair
#pragma GCC unroll 3
      for (int j = 0; j < kA; ++j) {
        const T v0 = ld<kTail>(d - j * C, n), v1 = ld<kTail>(d + (1 - j) * C, n);
        a0 = Vec::fma(v0, wA[r][j], a0);
        a1 = Vec::fma(v1, wA[r][j], a1);
        if (j < kB) {
          b0 = Vec::fma(v0, wB[r][j], b0);
          b1 = Vec::fma(v1, wB[r][j], b1);
        }
      }
    }
    st<kTail>(out, a0, n);
    st<kTail>(out + C, b0, n);
    st<kTail>(out + 2 * C, a1, n);
    st<kTail>(out + 3 * C, b1, n);
  }
  if (p < pairs) {
    T a0 = Vec::zero(), b0 = Vec::zero();
    for (int r = 0; r < RC; ++r) {
      const float* d = dyRows[r] + (bLo + p) * C + c0;
      for (int j = 0; j < kA; ++j) {
        const T v0 = ld<kTail>(d - j * C, n);
        a0 = Vec::fma(v0, wA[r][j], a0);
        if (j < kB) b0 = Vec::fma(v0, wB[r][j], b0);
      }
    }
    st<kTail>(out, a0, n);
    st<kTail>(out + C, b0, n);
  }
}

template <int K, int RC>
inline void backwardDataPairs(const float* const* dyRows, const float* const* wRows, int64_t C,
                              int64_t Cp, int64_t bLo, int64_t pairs, float* dx) {
  int64_t c0 = 0;
  for (; c0 + L <= C; c0 += L)
    backwardDataPairsBlock<K, RC, false>(dyRows, wRows, C, Cp, bLo, pairs, c0, L, dx);
  if (c0 < C)
    backwardDataPairsBlock<K, RC, true>(dyRows, wRows, C, Cp, bLo, pairs, c0, int(C - c0), dx);
}

// The pair path for `rowCount` row taps (1 to (K + 1) / 2); false when it does not apply.
inline bool backwardDataPairsFor(int64_t K, int rowCount, const float* const* dyRows,
                                 const float* const* wRows, int64_t C, int64_t Cp, int64_t bLo,
                                 int64_t pairs, float* dx) {
  if (K == 3 && rowCount == 1) return backwardDataPairs<3, 1>(dyRows, wRows, C, Cp, bLo, pairs, dx), true;
  if (K == 3 && rowCount == 2) return backwardDataPairs<3, 2>(dyRows, wRows, C, Cp, bLo, pairs, dx), true;
  if (K == 5 && rowCount == 1) return backwardDataPairs<5, 1>(dyRows, wRows, C, Cp, bLo, pairs, dx), true;
  if (K == 5 && rowCount == 2) return backwardDataPairs<5, 2>(dyRows, wRows, C, Cp, bLo, pairs, dx), true;
  if (K == 5 && rowCount == 3) return backwardDataPairs<5, 3>(dyRows, wRows, C, Cp, bLo, pairs, dx), true;
  return false;
}

// The column taps of every input column are worked out once per call, the row taps once per
// row, and each pixel's taps become plain offsets, so the channel-block loop is loads and FMAs;
// at stride 2 with a 3x3 or 5x5 kernel the interior columns take the pair path above.
inline void backwardDataRows(const DepthwiseArgs& a, const float* dy, float* dx,
                             int64_t rowBegin, int64_t rowEnd) {
  std::vector<Tap> colTaps(size_t(a.W * a.KW)), rowTaps(size_t(a.KH));
  std::vector<int> colCounts(size_t(a.W));
  for (int64_t iw = 0; iw < a.W; ++iw)
    colCounts[iw] = gatherTaps(iw, a.padLeft, a.strideW, a.dilationW, a.KW, a.OW, &colTaps[iw * a.KW]);
  std::vector<int64_t> offsets(size_t(2 * a.KH * a.KW));
  int64_t* dyOffset = offsets.data();
  int64_t* wOffset = dyOffset + a.KH * a.KW;
  // Pairs of interior columns: b from bLo (every tap's dy column >= 0) to the last whose dy
  // column b < OW and whose second column iw + 1 < W.
  const bool pairable = a.strideH == 2 && a.strideW == 2 && a.dilationH == 1 &&
                        a.dilationW == 1 && a.KH == a.KW && (a.KW == 3 || a.KW == 5);
  const int64_t half = (a.KW - 1) / 2;
  const int64_t bLo = std::max<int64_t>(half, (a.padLeft + 1) / 2);
  const int64_t bHi = std::min<int64_t>(a.OW - 1, (a.W - 2 + a.padLeft) / 2);
  const int64_t pairs = pairable ? std::max<int64_t>(0, bHi - bLo + 1) : 0;
  const int64_t iwLo = 2 * bLo - a.padLeft, iwHi = iwLo + 2 * pairs;  // pair columns [iwLo, iwHi)
  const float* dyRows[3];
  const float* wRows[3];
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    const int64_t image = r / a.H, ih = r % a.H;
    const float* dyImage = dy + image * a.OH * a.OW * a.C;
    float* dxRow = dx + r * a.W * a.C;
    const int rowCount = gatherTaps(ih, a.padTop, a.strideH, a.dilationH, a.KH, a.OH, rowTaps.data());
    auto pixel = [&](int64_t iw) {
      const Tap* cols = &colTaps[iw * a.KW];
      int count = 0;
      for (int i = 0; i < rowCount; ++i)
        for (int j = 0; j < colCounts[iw]; ++j, ++count) {
          dyOffset[count] = (rowTaps[i].o * a.OW + cols[j].o) * a.C;
          wOffset[count] = (rowTaps[i].k * a.KW + cols[j].k) * a.Cp;
        }
      float* dxPixel = dxRow + iw * a.C;
      int64_t c0 = 0;
      for (; c0 + L <= a.C; c0 += L)
        backwardDataPixelBlock<false>(dyImage + c0, a.weight + c0, dyOffset, wOffset, count, L,
                                      dxPixel + c0);
      if (c0 < a.C)
        backwardDataPixelBlock<true>(dyImage + c0, a.weight + c0, dyOffset, wOffset, count,
                                     int(a.C - c0), dxPixel + c0);
    };
    for (int i = 0; i < rowCount && pairs > 0; ++i) {
      dyRows[i] = dyImage + rowTaps[i].o * a.OW * a.C;
      wRows[i] = a.weight + rowTaps[i].k * a.KW * a.Cp;
    }
    if (pairs > 0 && backwardDataPairsFor(a.KW, rowCount, dyRows, wRows, a.C, a.Cp, bLo, pairs,
                                          dxRow + iwLo * a.C)) {
      for (int64_t iw = 0; iw < iwLo; ++iw) pixel(iw);
      for (int64_t iw = iwHi; iw < a.W; ++iw) pixel(iw);
    } else {
      for (int64_t iw = 0; iw < a.W; ++iw) pixel(iw);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Backward weights: dw[kh, kw, c] += sum over (oh, ow) of dy[oh, ow, c] * x[ih, iw, c].

// Interior columns of one kernel row kh: KW accumulators stay in registers across the row,
// in two sets (even / odd columns) so consecutive FMAs into one accumulator are independent.
// KW = 0: any width up to 16, accumulators in a small array.
template <int KWc, bool kTail>
inline void backwardWeightsInterior(const DepthwiseArgs& a, const float* dyRow,
                                    const float* xRow, int64_t owLo, int64_t owHi, int64_t c0,
                                    int n, float* dwRow) {
  constexpr int kMax = KWc > 0 ? KWc : 16;
  const int KW = KWc > 0 ? KWc : int(a.KW);
  T acc0[kMax], acc1[kMax];
  for (int j = 0; j < KW; ++j) acc0[j] = acc1[j] = Vec::zero();
  const int64_t colStep = a.dilationW * a.C, xStep = a.strideW * a.C;
  const float* xp = xRow + (owLo * a.strideW - a.padLeft) * a.C + c0;
  const float* dp = dyRow + owLo * a.C + c0;
  int64_t ow = owLo;
  for (; ow + 2 <= owHi; ow += 2, xp += 2 * xStep, dp += 2 * a.C) {
    const T d0 = ld<kTail>(dp, n), d1 = ld<kTail>(dp + a.C, n);
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j) {
      acc0[j] = Vec::fma(d0, ld<kTail>(xp + j * colStep, n), acc0[j]);
      acc1[j] = Vec::fma(d1, ld<kTail>(xp + xStep + j * colStep, n), acc1[j]);
    }
  }
  if (ow < owHi) {
    const T d = ld<kTail>(dp, n);
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j) acc0[j] = Vec::fma(d, ld<kTail>(xp + j * colStep, n), acc0[j]);
  }
  for (int j = 0; j < KW; ++j) {
    float* p = dwRow + j * a.Cp + c0;
    Vec::store(p, Vec::add(Vec::load(p), Vec::add(acc0[j], acc1[j])));
  }
}

template <int KWc, bool kTail>
void backwardWeightsBlock(const DepthwiseArgs& a, const float* xImage, const float* dyRow,
                          int64_t ihBase, TapRange kh, ColumnRange cols, int64_t c0, int n,
                          float* dw, float* db) {
  if (db) {
    T sum = Vec::zero();
    for (int64_t ow = 0; ow < a.OW; ++ow) sum = Vec::add(sum, ld<kTail>(dyRow + ow * a.C + c0, n));
    Vec::store(db + c0, Vec::add(Vec::load(db + c0), sum));
  }
  for (int64_t i = kh.lo; i < kh.hi; ++i) {
    const float* xRow = xImage + (ihBase + i * a.dilationH) * a.W * a.C;
    float* dwRow = dw + i * a.KW * a.Cp;
    backwardWeightsInterior<KWc, kTail>(a, dyRow, xRow, cols.lo, cols.hi, c0, n, dwRow);
    // Border columns: per-pixel tap ranges, accumulated straight into the partial sums.
    for (int64_t ow = 0; ow < a.OW; ++ow) {
      if (ow == cols.lo) ow = cols.hi;
      if (ow >= a.OW) break;
      const int64_t iwBase = ow * a.strideW - a.padLeft;
      const TapRange kw = tapRange(iwBase, a.W, a.KW, a.dilationW);
      const T d = ld<kTail>(dyRow + ow * a.C + c0, n);
      for (int64_t j = kw.lo; j < kw.hi; ++j) {
        float* p = dwRow + j * a.Cp + c0;
        Vec::store(p, Vec::fma(d, ld<kTail>(xRow + (iwBase + j * a.dilationW) * a.C + c0, n),
                               Vec::load(p)));
      }
    }
  }
}

template <int KWc>
void backwardWeightsRowsFor(const DepthwiseArgs& a, const float* x, const float* dy, float* dw,
                            float* db, int64_t rowBegin, int64_t rowEnd) {
  ColumnRange cols = interiorColumns(a);
  if (KWc == 0 && a.KW > 16) cols = {0, 0};  // wider than the accumulator array: border path
  for (int64_t r = rowBegin; r < rowEnd; ++r) {
    const int64_t image = r / a.OH, oh = r % a.OH;
    const float* xImage = x + image * a.H * a.W * a.C;
    const float* dyRow = dy + r * a.OW * a.C;
    const int64_t ihBase = oh * a.strideH - a.padTop;
    const TapRange kh = tapRange(ihBase, a.H, a.KH, a.dilationH);
    int64_t c0 = 0;
    for (; c0 + L <= a.C; c0 += L)
      backwardWeightsBlock<KWc, false>(a, xImage, dyRow, ihBase, kh, cols, c0, L, dw, db);
    if (c0 < a.C)
      backwardWeightsBlock<KWc, true>(a, xImage, dyRow, ihBase, kh, cols, c0, int(a.C - c0), dw,
                                      db);
  }
}

inline void backwardWeightsRows(const DepthwiseArgs& a, const float* x, const float* dy,
                                float* dw, float* db, int64_t rowBegin, int64_t rowEnd) {
  if (const WindowBackwardWeightsFn window = windowBackwardWeightsFor(a))
    return window(a, x, dy, dw, db, rowBegin, rowEnd);
  switch (a.KW) {
    case 1: return backwardWeightsRowsFor<1>(a, x, dy, dw, db, rowBegin, rowEnd);
    case 3: return backwardWeightsRowsFor<3>(a, x, dy, dw, db, rowBegin, rowEnd);
    case 5: return backwardWeightsRowsFor<5>(a, x, dy, dw, db, rowBegin, rowEnd);
    case 7: return backwardWeightsRowsFor<7>(a, x, dy, dw, db, rowBegin, rowEnd);
    default: return backwardWeightsRowsFor<0>(a, x, dy, dw, db, rowBegin, rowEnd);
  }
}
