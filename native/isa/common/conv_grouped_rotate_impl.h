// Body of the rotation kernels for G in / G out channels per group, G in {4, 8, 16} and
// G <= the vector width (ResNeXt 32x4d's 3x3 convolutions: 4, 8, 16 per group), compiled per
// ISA: the including TU defines CONVKIT_CONV_VL (float lanes, a multiple of 4), then includes
// this inside its own namespace after defining
//   typedef float vf __attribute__((vector_size(VL * 4)));
//   template <int B> vf inlane(vf v);   // lane 4k+o <- lane 4k+(o+B)%4 (in-lane permute)
//   template <int A> vf blocks(vf v);   // 128-bit block h <- block h^A (A < VL/4)
// A group's G channels are G/4 adjacent 128-bit blocks (aligned, as VL % G == 0), so the
// rotation R = 4A + B, rot<R>(x) = inlane<B>(blocks<A>(x)), puts in output channel o's lane
// the input channel rotatedChannel(R, o) (conv_ukernels.h) of the same group, and for each o
// the G rotations visit the group's G input channels once each:
//   y[g,o] = sum_tap sum_R rot<R>(x[tap])[g,o] * w4[tap][R][g,o]
// with w4[tap][R][Gg+o] = w[Gg+o][rotatedChannel(R, o)][tap] (repacked by the driver). The
// rotations go in G/4 blocks of 4 (one value of A): per kernel row and block, each input
// pixel is loaded, block-permuted once (A > 0) and rotated 3 times in-lane, and its 4
// rotations feed every kw tap that reads it (a strip of P output pixels in registers), so the
// inner loop is 4 FMAs per (pixel, tap) against 4*KW weight vectors held in registers, with
// no expanded copy of the input; G = 4 is the single block A = 0. See conv_ukernels.h for
// the layouts. The TU also defines kStrip (output pixels per strip, bounded by its vector
// registers) and has already included <cstring>, <type_traits> and ../conv_ukernels.h.

constexpr int VL = CONVKIT_CONV_VL;
static_assert(VL % 4 == 0 && VL <= 16, "a vector holds whole 128-bit blocks");

static inline vf ld(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// The last channel block may hold fewer than VL channels (n, a multiple of G): its loads and
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

// blocks<A> with the identity for A = 0.
template <int A>
static inline vf blockPerm(vf v) {
  if constexpr (A == 0)
    return v;
  else
    return blocks<A>(v);
}

// Calls f(std::integral_constant<int, A>) for each block A of rotations, A < G/4, in order.
// Fence: an empty asm with a memory clobber between blocks keeps GCC from reusing a block's
// input pixel loads in the next; in forwardStrip it would keep all NI pixels live across the
// blocks and spill (100-600 zmm stack accesses per strip at G = 8 / 16 in the objdump; with
// the fence each block reloads them from L1: 10-30% faster forward). Backward-weights
// measured 2x slower with it (G = 16), so it goes without.
template <int G, bool Fence = false, typename F>
static inline __attribute__((always_inline)) void eachBlock(F&& f) {
  static_assert(G == 4 || G == 8 || G == 16, "4, 8 or 16 channels per group");
  static_assert(G <= VL, "a group fits a vector");
  f(std::integral_constant<int, 0>{});
  if constexpr (G >= 8) {
    if constexpr (Fence) asm volatile("" ::: "memory");
    f(std::integral_constant<int, 1>{});
  }
  if constexpr (G >= 16) {
    if constexpr (Fence) asm volatile("" ::: "memory");
    f(std::integral_constant<int, 2>{});
    if constexpr (Fence) asm volatile("" ::: "memory");
    f(std::integral_constant<int, 3>{});
  }
}

alignas(64) static const float kZeros[16] = {};  // stands in for padding pixels

// Pixel iw of row xr at channel cb, or zeros outside [0, W) (the padding).
static inline const float* pixel(const float* xr, int64_t iw, int64_t W, int64_t C, int64_t cb) {
  return static_cast<uint64_t>(iw) < static_cast<uint64_t>(W) ? xr + iw * C + cb : kZeros;
}

// Prefetches Q pixels from iw0 at channel cb of each of the s.sh rows below row xr (at stride 2,
// both rows the next output row adds: fetching only the second measured ~30% slower).
template <int Q>
static inline void prefetchRows(const float* xr, int64_t iw0, const ConvGroupedShape& s,
                                int64_t cb) {
  for (int64_t j = 1; j <= s.sh; ++j)
#pragma GCC unroll 16
    for (int q = 0; q < Q; ++q) __builtin_prefetch(xr + (iw0 + q + j * s.W) * s.Cin + cb);
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
template <int G, int P, int KW, int SW, int DW, bool Tail>
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
    // The next output row's new input rows (the sh rows below the last one), same pixels:
    // each strip fetches one row ahead, while the rows it reads now are in L2 since last row.
    if (kh == s.KH - 1) prefetchRows<P * SW>(xr, iw0, s, cb);
    eachBlock<G, true>([&](auto block) {
      constexpr int A = decltype(block)::value;
      vf wv[KW][4];
      const float* wp = w4 + (kh * KW * G + 4 * A) * CP + cb;
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw)
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) wv[kw][r] = ld(wp + (kw * G + r) * CP);
#pragma GCC unroll 64
      for (int i = 0; i < NI; ++i) {
        const vf x0 = blockPerm<A>(ldn<Tail>(pixel(xr, iw0 + i, s.W, C, cb), n));
        const vf x1 = inlane<1>(x0), x2 = inlane<2>(x0), x3 = inlane<3>(x0);
#pragma GCC unroll 8
        for (int kw = 0; kw < KW; ++kw) {
          const int d = i - kw * DW;
          if (d < 0 || d % SW != 0 || d / SW >= P) continue;
          // The tap's 4 products chain in t and join acc with one add, so acc's serial chain
          // (KH * KW * G/4 taps long) grows by an add per tap, not 4 FMAs: 3-4% faster than
          // the plain FMA chain (measured at G = 4, hot and full-size).
          vf t = x0 * wv[kw][0];
          t += x1 * wv[kw][1];
          t += x2 * wv[kw][2];
          t += x3 * wv[kw][3];
          acc[d / SW] += t;
        }
      }
    });
  }
#pragma GCC unroll 16
  for (int q = 0; q < P; ++q) {
    const int64_t o = (ow0 + q) * C + cb;
    const vf v = epilogue<Tail>(acc[q], bias ? bias + cb : nullptr, res ? res + o : nullptr, act, n);
    stn<Tail>(yrow + o, v, n);
  }
}

// One pixel, any kernel width / stride / dilation (runtime): the shapes without a strip.
template <int G, bool Tail>
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
      const vf x = ldn<Tail>(rows[kh] + iw * C + cb, n);
      eachBlock<G>([&](auto block) {
        constexpr int A = decltype(block)::value;
        const vf x0 = blockPerm<A>(x);
        const float* wp = w4 + ((kh * s.KW + kw) * G + 4 * A) * CP + cb;
        acc += x0 * ld(wp);
        acc += inlane<1>(x0) * ld(wp + CP);
        acc += inlane<2>(x0) * ld(wp + 2 * CP);
        acc += inlane<3>(x0) * ld(wp + 3 * CP);
      });
    }
  }
  const int64_t o = ow * C + cb;
  const vf v = epilogue<Tail>(acc, bias ? bias + cb : nullptr, res ? res + o : nullptr, act, n);
  stn<Tail>(yrow + o, v, n);
}

// Every channel block of the strip (the weights of a block stay in registers across its
// kernel rows; the strip's input pixels stay in L1 across the blocks).
template <int G, int P, int KW, int SW, int DW>
static inline void forwardStripAll(const ConvGroupedShape& s, const float* const* rows,
                                   const float* w4, int64_t ow0, const float* bias,
                                   const float* res, int act, float* yrow) {
  int64_t cb = 0;
  for (; cb + VL <= s.Cin; cb += VL)
    forwardStrip<G, P, KW, SW, DW, false>(s, rows, w4, ow0, cb, VL, bias, res, act, yrow);
  if (cb < s.Cin)
    forwardStrip<G, P, KW, SW, DW, true>(s, rows, w4, ow0, cb, int(s.Cin - cb), bias, res, act,
                                         yrow);
}

template <int G, int KW, int SW, int DW>
static void forwardRow(const ConvGroupedShape& s, const float* const* rows, const float* w4,
                       const float* bias, const float* res, int act, float* yrow) {
  int64_t ow = 0;
  for (; ow + kStrip <= s.OW; ow += kStrip)
    forwardStripAll<G, kStrip, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
  for (; ow + 4 <= s.OW; ow += 4)
    forwardStripAll<G, 4, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
  for (; ow < s.OW; ++ow) forwardStripAll<G, 1, KW, SW, DW>(s, rows, w4, ow, bias, res, act, yrow);
}

template <int G>
static void forwardRowAny(const ConvGroupedShape& s, const float* const* rows, const float* w4,
                          const float* bias, const float* res, int act, float* yrow) {
  for (int64_t ow = 0; ow < s.OW; ++ow) {
    int64_t cb = 0;
    for (; cb + VL <= s.Cin; cb += VL)
      forwardPixelAny<G, false>(s, rows, w4, ow, cb, VL, bias, res, act, yrow);
    if (cb < s.Cin)
      forwardPixelAny<G, true>(s, rows, w4, ow, cb, int(s.Cin - cb), bias, res, act, yrow);
  }
}

constexpr int kMaxRows = 64;  // groupedRotateApplies bounds KH by this

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

template <int G>
static void forwardG(const ConvGroupedShape& s, const float* x, const float* w4,
                     const float* bias, const float* residual, int act, float* y, int64_t row0,
                     int64_t row1) {
  const int64_t C = s.Cin;
  typedef void (*RowFn)(const ConvGroupedShape&, const float* const*, const float*, const float*,
                        const float*, int, float*);
  const RowFn rowFn = specialised<RowFn>(s, forwardRowAny<G>, forwardRow<G, 3, 1, 1>,
                                          forwardRow<G, 3, 2, 1>, forwardRow<G, 3, 1, 2>,
                                          forwardRow<G, 1, 1, 1>, forwardRow<G, 1, 2, 1>);
  const float* rows[kMaxRows];
  for (int64_t row = row0; row < row1; ++row) {
    kernelRows(s, x, row, rows);
    rowFn(s, rows, w4, bias, residual ? residual + row * s.OW * C : nullptr, act, y + row * s.OW * C);
  }
}

// dw4[kh][kw][R][cb..] += over the strip's P output pixels and the valid kernel rows of
// dy[q] * rot<R>(x[kh][tap(q, kw)]): the backward-weights strip, same sliding window as
// forwardStrip. A (kernel row, rotation block)'s 12 accumulators go back to dw4 (in L1 / L2)
// between strips, so the strip's few input pixels, not whole rows, are what must stay cached.
template <int G, int P, int KW, int SW, int DW, bool Tail>
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
    if (kh == s.KH - 1) prefetchRows<P * SW>(xr, iw0, s, cb);  // as in forwardStrip
    eachBlock<G>([&](auto block) {
      constexpr int A = decltype(block)::value;
      float* tap = dw4 + (kh * KW * G + 4 * A) * CP + cb;
      vf acc[KW][4];
#pragma GCC unroll 8
      for (int kw = 0; kw < KW; ++kw)
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) acc[kw][r] = ld(tap + (kw * G + r) * CP);
#pragma GCC unroll 64
      for (int i = 0; i < NI; ++i) {
        const vf x0 = blockPerm<A>(ldn<Tail>(pixel(xr, iw0 + i, s.W, C, cb), n));
        const vf xs[4] = {x0, inlane<1>(x0), inlane<2>(x0), inlane<3>(x0)};
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
        for (int r = 0; r < 4; ++r) st(tap + (kw * G + r) * CP, acc[kw][r]);
    });
  }
}

template <int G, int P, int KW, int SW, int DW>
static inline void weightsStripAll(const ConvGroupedShape& s, const float* const* rows,
                                   const float* dyrow, float* dw4, float* db, int64_t ow0) {
  int64_t cb = 0;
  for (; cb + VL <= s.Cin; cb += VL)
    weightsStrip<G, P, KW, SW, DW, false>(s, rows, dyrow, dw4, db, ow0, cb, VL);
  if (cb < s.Cin)
    weightsStrip<G, P, KW, SW, DW, true>(s, rows, dyrow, dw4, db, ow0, cb, int(s.Cin - cb));
}

template <int G, int KW, int SW, int DW>
static void weightsRow(const ConvGroupedShape& s, const float* const* rows, const float* dyrow,
                       float* dw4, float* db) {
  int64_t ow = 0;
  for (; ow + kStrip <= s.OW; ow += kStrip)
    weightsStripAll<G, kStrip, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
  for (; ow + 4 <= s.OW; ow += 4) weightsStripAll<G, 4, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
  for (; ow < s.OW; ++ow) weightsStripAll<G, 1, KW, SW, DW>(s, rows, dyrow, dw4, db, ow);
}

template <int G>
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
        eachBlock<G>([&](auto block) {
          constexpr int A = decltype(block)::value;
          float* tap = dw4 + ((kh * s.KW + kw) * G + 4 * A) * CP + cb;
          vf a0 = ld(tap), a1 = ld(tap + CP), a2 = ld(tap + 2 * CP), a3 = ld(tap + 3 * CP);
          for (int64_t ow = 0; ow < s.OW; ++ow) {
            const int64_t iw = ow * s.sw - s.pl + kw * s.dw;
            if (iw < 0 || iw >= s.W) continue;
            const vf x0 = blockPerm<A>(ldn<true>(rows[kh] + iw * C + cb, n));
            const vf d = ldn<true>(dyrow + ow * C + cb, n);
            a0 += x0 * d;
            a1 += inlane<1>(x0) * d;
            a2 += inlane<2>(x0) * d;
            a3 += inlane<3>(x0) * d;
          }
          st(tap, a0), st(tap + CP, a1), st(tap + 2 * CP, a2), st(tap + 3 * CP, a3);
        });
      }
  }
}

template <int G>
static void backwardWeightsG(const ConvGroupedShape& s, const float* x, const float* dy,
                             float* dw4, float* db, int64_t row0, int64_t row1) {
  const int64_t C = s.Cin;
  typedef void (*RowFn)(const ConvGroupedShape&, const float* const*, const float*, float*, float*);
  const RowFn rowFn = specialised<RowFn>(s, weightsRowAny<G>, weightsRow<G, 3, 1, 1>,
                                          weightsRow<G, 3, 2, 1>, weightsRow<G, 3, 1, 2>,
                                          weightsRow<G, 1, 1, 1>, weightsRow<G, 1, 2, 1>);
  const float* rows[kMaxRows];
  for (int64_t row = row0; row < row1; ++row) {
    kernelRows(s, x, row, rows);
    rowFn(s, rows, dy + row * s.OW * C, dw4, db);
  }
}

// Entry points: G = s.cig (4, 8, or 16 where the vector holds 16 lanes).
void forwardRotate(const ConvGroupedShape* s, const float* x, const float* w4, const float* bias,
                   const float* residual, int act, float* y, int64_t row0, int64_t row1) {
  if (s->cig == 4) return forwardG<4>(*s, x, w4, bias, residual, act, y, row0, row1);
  if constexpr (VL >= 16)
    if (s->cig == 16) return forwardG<16>(*s, x, w4, bias, residual, act, y, row0, row1);
  forwardG<8>(*s, x, w4, bias, residual, act, y, row0, row1);
}

void backwardWeightsRotate(const ConvGroupedShape* s, const float* x, const float* dy, float* dw4,
                           float* db, int64_t row0, int64_t row1) {
  if (s->cig == 4) return backwardWeightsG<4>(*s, x, dy, dw4, db, row0, row1);
  if constexpr (VL >= 16)
    if (s->cig == 16) return backwardWeightsG<16>(*s, x, dy, dw4, db, row0, row1);
  backwardWeightsG<8>(*s, x, dy, dw4, db, row0, row1);
}
