// Body of the 4-in / 4-out channels per group convolution kernels (ResNeXt 32x4d), compiled
// per ISA: the including TU defines CONVKIT_CONV_VL (float lanes, a multiple of 4), then
// includes this inside its own namespace after defining
//   typedef float vf __attribute__((vector_size(VL * 4)));
//   template <int R> vf rot(vf v);   // lane 4g+o <- lane 4g+(o+R)%4 (an in-lane permute)
// A group's 4 channels are one 128-bit lane, so rot<R>(x) puts, in output channel o's lane,
// the input channel (o+R)%4 of the same group:
//   y[g,o] = sum_tap sum_R rot<R>(x[tap])[g,o] * w4[tap][R][g,o]
// with w4[tap][R][4g+o] = w[4g+o][(o+R)%4][tap] (repacked by the driver). Each input pixel is
// loaded once and rotated 3 times per kernel row, and its 4 rotations feed every kw tap that
// reads it (a strip of P output pixels in registers), so the inner loop is 4 FMAs per
// (pixel, tap) with no expanded copy of the input. See conv_ukernels.h for the layouts.
// The TU also defines kStrip (output pixels per strip, bounded by its vector registers) and
// has already included <cstring> and ../conv_ukernels.h.

constexpr int VL = CONVKIT_CONV_VL;
static_assert(VL % 4 == 0 && VL <= 16, "a vector holds whole groups");

static inline vf ld(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// The last channel block may hold fewer than VL channels (n, a multiple of 4): its loads and
// stores copy n floats only, so nothing past the tensors' ends is touched.
template <bool Tail>
static inline vf ldn(const float* p, int n) {
  if (!Tail) return ld(p);
  vf v = vf{};
  std::memcpy(&v, p, sizeof(float) * n);
  return v;
}
template <bool Tail>
static inline void stn(float* p, vf v, int n) {
  if (!Tail) return st(p, v);
  std::memcpy(p, &v, sizeof(float) * n);
}

alignas(64) static const float kZeros[16] = {};  // stands in for padding pixels

// Pixel iw of row xr at channel cb, or zeros outside [0, W) (the padding).
static inline const float* pixel(const float* xr, int64_t iw, int64_t W, int64_t C, int64_t cb) {
  return static_cast<uint64_t>(iw) < static_cast<uint64_t>(W) ? xr + iw * C + cb : kZeros;
}

template <bool Tail>
static inline vf epilogue(vf v, const float* bias, const float* res, int act, int n) {
  if (bias) v += ldn<Tail>(bias, n);
  if (res) v += ldn<Tail>(res, n);
  if (act) {
    const vf zero = vf{};
    v = v > zero ? v : zero;
    if (act == 2) {
      const vf six = zero + 6.0f;
      v = v < six ? v : six;
    }
  }
  return v;
}

// Output pixels [ow0, ow0 + P) of one row, channels [cb, cb + VL) (n of them valid). KW, SW,
// DW: the kernel width, stride and dilation along W (compile time, so every index below is
// a constant after unrolling and acc / wv / the rotations stay in registers).
template <int P, int KW, int SW, int DW, bool Tail>
static inline void forwardStrip(const ConvGroupedShape& s, const float* const* rows,
                                const float* w4, int64_t ow0, int64_t cb, int n,
                                const float* bias, const float* res, int act, float* yrow) {
  constexpr int NI = (P - 1) * SW + (KW - 1) * DW + 1;  // input pixels the strip reads
  const int64_t CP = s.CoutPad, C = s.Cin, iw0 = ow0 * SW - s.pl;
  vf acc[P];
#pragma GCC unroll 16
  for (int q = 0; q < P; ++q) acc[q] = vf{};
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    const float* xr = rows[kh];
    if (!xr) continue;
    vf wv[KW][4];
    const float* wp = w4 + kh * KW * 4 * CP + cb;
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw)
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) wv[kw][r] = ld(wp + (kw * 4 + r) * CP);
    // The next output row's new input row (sh rows below the last one), same pixels: each
    // strip fetches one row ahead, while the rows it reads now are in L2 since last row.
    if (kh == s.KH - 1)
#pragma GCC unroll 16
      for (int q = 0; q < P * SW; ++q) __builtin_prefetch(xr + (iw0 + q + s.sh * s.W) * C + cb);
#pragma GCC unroll 64
    for (int i = 0; i < NI; ++i) {
      const vf x0 = ldn<Tail>(pixel(xr, iw0 + i, s.W, C, cb), n);
      const vf x1 = rot<1>(x0), x2 = rot<2>(x0), x3 = rot<3>(x0);
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw) {
        const int d = i - kw * DW;
        if (d < 0 || d % SW != 0 || d / SW >= P) continue;
        // The tap's 4 products chain in t and join acc with one add, so acc's serial chain
        // (KH * KW taps long) grows by an add per tap, not 4 FMAs: 3-4% faster than the
        // plain FMA chain (measured, hot and full-size).
        vf t = x0 * wv[kw][0];
        t += x1 * wv[kw][1];
        t += x2 * wv[kw][2];
        t += x3 * wv[kw][3];
        acc[d / SW] += t;
      }
    }
  }
#pragma GCC unroll 16
  for (int q = 0; q < P; ++q) {
    const int64_t o = (ow0 + q) * C + cb;
    const vf v = epilogue<Tail>(acc[q], bias ? bias + cb : nullptr, res ? res + o : nullptr, act, n);
    stn<Tail>(yrow + o, v, n);
  }
}

// One pixel, any kernel width / stride / dilation (runtime): the shapes without a strip.
template <bool Tail>
static inline void forwardPixelAny(const ConvGroupedShape& s, const float* const* rows,
                                   const float* w4, int64_t ow, int64_t cb, int n,
                                   const float* bias, const float* res, int act, float* yrow) {
  const int64_t CP = s.CoutPad, C = s.Cin;
  vf acc = vf{};
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    if (!rows[kh]) continue;
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      const int64_t iw = ow * s.sw - s.pl + kw * s.dw;
      if (iw < 0 || iw >= s.W) continue;
      const vf x0 = ldn<Tail>(rows[kh] + iw * C + cb, n);
      const float* wp = w4 + (kh * s.KW + kw) * 4 * CP + cb;
      acc += x0 * ld(wp);
      acc += rot<1>(x0) * ld(wp + CP);
      acc += rot<2>(x0) * ld(wp + 2 * CP);
      acc += rot<3>(x0) * ld(wp + 3 * CP);
    }
  }
  const int64_t o = ow * C + cb;
  const vf v = epilogue<Tail>(acc, bias ? bias + cb : nullptr, res ? res + o : nullptr, act, n);
  stn<Tail>(yrow + o, v, n);
}

// Every channel block of the strip (the weights of a block stay in registers across its
// kernel rows; the strip's input pixels stay in L1 across the blocks).
template <int P, int KW, int SW, int DW>
static inline void forwardStripAll(const ConvGroupedShape& s, const float* const* rows,
                                   const float* w4, int64_t ow0, const float* bias,
                                   const float* res, int act, float* yrow) {
  int64_t cb = 0;
  for (; cb + VL <= s.Cin; cb += VL)
    forwardStrip<P, KW, SW, DW, false>(s, rows, w4, ow0, cb, VL, bias, res, act, yrow);
  if (cb < s.Cin)
    forwardStrip<P, KW, SW, DW, true>(s, rows, w4, ow0, cb, int(s.Cin - cb), bias, res, act, yrow);
}

template <int KW, int SW, int DW>
static void forwardRow(const ConvGroupedShape& s, const float* const* rows, const float* w4,
                       const float* bias, const float* res, int act, float* yrow) {
  int64_t ow = 0;
  for (; ow + kStrip <= s.OW; ow += kStrip)
    forwardStripAll<kStrip, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
  for (; ow + 4 <= s.OW; ow += 4) forwardStripAll<4, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
  for (; ow < s.OW; ++ow) forwardStripAll<1, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
}

static void forwardRowAny(const ConvGroupedShape& s, const float* const* rows, const float* w4,
                          const float* bias, const float* res, int act, float* yrow) {
  for (int64_t ow = 0; ow < s.OW; ++ow) {
    int64_t cb = 0;
    for (; cb + VL <= s.Cin; cb += VL)
      forwardPixelAny<false>(s, rows, w4, ow, cb, VL, bias, res, act, yrow);
    if (cb < s.Cin) forwardPixelAny<true>(s, rows, w4, ow, cb, int(s.Cin - cb), bias, res, act, yrow);
  }
}

constexpr int kMaxRows = 64;  // grouped4Applies bounds KH by this

// The row function compiled for this kernel width / stride / dilation, else the general one.
template <typename Fn>
static inline Fn specialised(const ConvGroupedShape& s, Fn any, Fn k3s1, Fn k3s2, Fn k3d2,
                             Fn k1s1, Fn k1s2) {
  if (s.KW == 3 && s.sw == 1 && s.dw == 1) return k3s1;
  if (s.KW == 3 && s.sw == 2 && s.dw == 1) return k3s2;
  if (s.KW == 3 && s.sw == 1 && s.dw == 2) return k3d2;
  if (s.KW == 1 && s.sw == 1) return k1s1;
  if (s.KW == 1 && s.sw == 2) return k1s2;
  return any;
}

// The input rows the KH kernel rows of output row `row` read (nullptr: in the padding).
static inline void kernelRows(const ConvGroupedShape& s, const float* x, int64_t row,
                              const float** rows) {
  const int64_t n = row / s.OH, oh = row % s.OH;
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    const int64_t ih = oh * s.sh - s.pt + kh * s.dh;
    rows[kh] = ih >= 0 && ih < s.H ? x + (n * s.H + ih) * s.W * s.Cin : nullptr;
  }
}

void forward4(const ConvGroupedShape* sp, const float* x, const float* w4, const float* bias,
              const float* residual, int act, float* y, int64_t row0, int64_t row1) {
  const ConvGroupedShape& s = *sp;
  const int64_t C = s.Cin;
  typedef void (*RowFn)(const ConvGroupedShape&, const float* const*, const float*, const float*,
                        const float*, int, float*);
  const RowFn rowFn = specialised<RowFn>(s, forwardRowAny, forwardRow<3, 1, 1>,
                                          forwardRow<3, 2, 1>, forwardRow<3, 1, 2>,
                                          forwardRow<1, 1, 1>, forwardRow<1, 2, 1>);
  const float* rows[kMaxRows];
  for (int64_t row = row0; row < row1; ++row) {
    kernelRows(s, x, row, rows);
    rowFn(s, rows, w4, bias, residual ? residual + row * s.OW * C : nullptr, act, y + row * s.OW * C);
  }
}

// dw4[kh][kw][R][cb..] += over the strip's P output pixels and the valid kernel rows of
// dy[q] * rot<R>(x[kh][tap(q, kw)]): the backward-weights strip, same sliding window as
// forwardStrip. A kernel row's 12 accumulators go back to dw4 (in L1) between strips, so the
// strip's few input pixels, not whole rows, are what must stay cached.
template <int P, int KW, int SW, int DW, bool Tail>
static inline void weightsStrip(const ConvGroupedShape& s, const float* const* rows,
                                const float* dyrow, float* dw4, float* db, int64_t ow0,
                                int64_t cb, int n) {
  constexpr int NI = (P - 1) * SW + (KW - 1) * DW + 1;
  const int64_t C = s.Cin, CP = s.CoutPad, iw0 = ow0 * SW - s.pl;
  vf d[P];
#pragma GCC unroll 16
  for (int q = 0; q < P; ++q) {
    d[q] = ldn<Tail>(dyrow + (ow0 + q) * C + cb, n);
    __builtin_prefetch(dyrow + (ow0 + q + s.OW) * C + cb);  // the next output row's dy
  }
  if (db) {  // the bias gradient from the dy already in registers (pad lanes add zeros)
    vf b = d[0];
#pragma GCC unroll 16
    for (int q = 1; q < P; ++q) b += d[q];
    st(db + cb, ld(db + cb) + b);
  }
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    const float* xr = rows[kh];
    if (!xr) continue;
    if (kh == s.KH - 1)  // the next output row's new input row, as in forwardStrip
#pragma GCC unroll 16
      for (int q = 0; q < P * SW; ++q) __builtin_prefetch(xr + (iw0 + q + s.sh * s.W) * C + cb);
    float* tap = dw4 + kh * KW * 4 * CP + cb;
    vf acc[KW][4];
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw)
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) acc[kw][r] = ld(tap + (kw * 4 + r) * CP);
#pragma GCC unroll 64
    for (int i = 0; i < NI; ++i) {
      const vf x0 = ldn<Tail>(pixel(xr, iw0 + i, s.W, C, cb), n);
      const vf xs[4] = {x0, rot<1>(x0), rot<2>(x0), rot<3>(x0)};
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw) {
        const int e = i - kw * DW;
        if (e < 0 || e % SW != 0 || e / SW >= P) continue;
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) acc[kw][r] += xs[r] * d[e / SW];
      }
    }
#pragma GCC unroll 8
    for (int kw = 0; kw < KW; ++kw)
#pragma GCC unroll 4
      for (int r = 0; r < 4; ++r) st(tap + (kw * 4 + r) * CP, acc[kw][r]);
  }
}

template <int P, int KW, int SW, int DW>
static inline void weightsStripAll(const ConvGroupedShape& s, const float* const* rows,
                                   const float* dyrow, float* dw4, float* db, int64_t ow0) {
  int64_t cb = 0;
  for (; cb + VL <= s.Cin; cb += VL)
    weightsStrip<P, KW, SW, DW, false>(s, rows, dyrow, dw4, db, ow0, cb, VL);
  if (cb < s.Cin) weightsStrip<P, KW, SW, DW, true>(s, rows, dyrow, dw4, db, ow0, cb, int(s.Cin - cb));
}

template <int KW, int SW, int DW>
static void weightsRow(const ConvGroupedShape& s, const float* const* rows, const float* dyrow,
                       float* dw4, float* db) {
  int64_t ow = 0;
  for (; ow + kStrip <= s.OW; ow += kStrip)
    weightsStripAll<kStrip, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
  for (; ow + 4 <= s.OW; ow += 4) weightsStripAll<4, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
  for (; ow < s.OW; ++ow) weightsStripAll<1, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
}

static void weightsRowAny(const ConvGroupedShape& s, const float* const* rows, const float* dyrow,
                          float* dw4, float* db) {
  const int64_t CP = s.CoutPad, C = s.Cin;
  if (db)
    for (int64_t ow = 0; ow < s.OW; ++ow)
      for (int64_t c = 0; c < C; ++c) db[c] += dyrow[ow * C + c];
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    if (!rows[kh]) continue;
    for (int64_t kw = 0; kw < s.KW; ++kw)
      for (int64_t cb = 0; cb < C; cb += VL) {
        const int n = int(C - cb < VL ? C - cb : VL);
        float* tap = dw4 + (kh * s.KW + kw) * 4 * CP + cb;
        vf a0 = ld(tap), a1 = ld(tap + CP), a2 = ld(tap + 2 * CP), a3 = ld(tap + 3 * CP);
        for (int64_t ow = 0; ow < s.OW; ++ow) {
          const int64_t iw = ow * s.sw - s.pl + kw * s.dw;
          if (iw < 0 || iw >= s.W) continue;
          const vf x0 = ldn<true>(rows[kh] + iw * C + cb, n), d = ldn<true>(dyrow + ow * C + cb, n);
          a0 += x0 * d;
          a1 += rot<1>(x0) * d;
          a2 += rot<2>(x0) * d;
          a3 += rot<3>(x0) * d;
        }
        st(tap, a0), st(tap + CP, a1), st(tap + 2 * CP, a2), st(tap + 3 * CP, a3);
      }
  }
}

void backwardWeights4(const ConvGroupedShape* sp, const float* x, const float* dy, float* dw4,
                      float* db, int64_t row0, int64_t row1) {
  const ConvGroupedShape& s = *sp;
  const int64_t C = s.Cin;
  typedef void (*RowFn)(const ConvGroupedShape&, const float* const*, const float*, float*, float*);
  const RowFn rowFn = specialised<RowFn>(s, weightsRowAny, weightsRow<3, 1, 1>,
                                          weightsRow<3, 2, 1>, weightsRow<3, 1, 2>,
                                          weightsRow<1, 1, 1>, weightsRow<1, 2, 1>);
  const float* rows[kMaxRows];
  for (int64_t row = row0; row < row1; ++row) {
    kernelRows(s, x, row, rows);
    rowFn(s, rows, dy + row * s.OW * C, dw4, db);
  }
}
