// Body of the direct grouped-convolution kernels, compiled once per ISA: the including TU
// defines CONVKIT_CONV_VL (float lanes) and CONVKIT_CONV_ISA and includes this inside
// `namespace convkit::isa::<isa>_impl`. GCC vector extensions: `a * b + acc` becomes an FMA
// with the TU's -mfma. See conv_ukernels.h for the layouts.
// The including TU has already included <cstring> and ../conv_ukernels.h (outside the namespace).

constexpr int VL = CONVKIT_CONV_VL;
typedef float vf __attribute__((vector_size(VL * sizeof(float))));

static inline vf ld(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

constexpr int kMaxSlots = 64;  // groupedDirectApplies bounds the cache rows by this

// A few expanded rows, slot = row % slots, tagged with the row they hold (-1: none).
struct RowCache {
  float* base;
  int64_t slots, floats;
  int64_t tag[kMaxSlots];
  RowCache(float* b, int64_t s, int64_t f) : base(b), slots(s), floats(f) {
    for (int64_t i = 0; i < s; ++i) tag[i] = -1;
    std::memset(base, 0, sizeof(float) * s * f);  // pad lanes stay zero
  }
  // Slot pointer for `key` (>= 0, local index `local`), and whether it must be filled.
  float* slot(int64_t key, int64_t local, bool* fill) {
    const int64_t i = local % slots;
    *fill = tag[i] != key;
    tag[i] = key;
    return base + i * floats;
  }
};

typedef int vi __attribute__((vector_size(VL * sizeof(int))));

// xe[iw][j][co] = x[iw][group(co) * cig + j]
static void expandX(const ConvGroupedShape& s, const float* xrow, float* xe) {
  const int64_t groups = s.Cin / s.cig;
  if (VL % s.cog == 0 && s.cig <= s.cog && s.Cin <= 4096) {
    // Each VL-lane block of output channels reads one VL-wide window of input channels,
    // starting at (block * VL / cog) * cig, through the same per-j lane permutation.
    vi mask[16];
    for (int64_t j = 0; j < s.cig; ++j)
      for (int lane = 0; lane < VL; ++lane) mask[j][lane] = static_cast<int>((lane / s.cog) * s.cig + j);
    float pixel[4096 + VL];  // the pixel's channels, zero padded so windows never over-read
    std::memset(pixel + s.Cin, 0, sizeof(float) * VL);
    const int64_t windowStep = (VL / s.cog) * s.cig;
    for (int64_t iw = 0; iw < s.W; ++iw) {
      std::memcpy(pixel, xrow + iw * s.Cin, sizeof(float) * s.Cin);
      float* d = xe + iw * s.cig * s.CoutPad;
      for (int64_t b = 0; b * VL < s.Cout; ++b) {
        const vf v = ld(pixel + b * windowStep);
        for (int64_t j = 0; j < s.cig; ++j) st(d + j * s.CoutPad + b * VL, __builtin_shuffle(v, mask[j]));
      }
    }
    return;
  }
  for (int64_t iw = 0; iw < s.W; ++iw) {
    const float* src = xrow + iw * s.Cin;
    float* d = xe + iw * s.cig * s.CoutPad;
    for (int64_t j = 0; j < s.cig; ++j)
      for (int64_t g = 0; g < groups; ++g) {
        const float v = src[g * s.cig + j];
        float* dd = d + j * s.CoutPad + g * s.cog;
        for (int64_t c = 0; c < s.cog; ++c) dd[c] = v;
      }
  }
}

// dye[ow][jo][ci] = dy[ow][group(ci) * cog + jo]
static void expandDy(const ConvGroupedShape& s, const float* dyrow, float* dye) {
  const int64_t groups = s.Cout / s.cog;
  for (int64_t ow = 0; ow < s.OW; ++ow) {
    const float* src = dyrow + ow * s.Cout;
    float* d = dye + ow * s.cog * s.CinPad;
    for (int64_t jo = 0; jo < s.cog; ++jo)
      for (int64_t g = 0; g < groups; ++g) {
        const float v = src[g * s.cog + jo];
        float* dd = d + jo * s.CinPad + g * s.cig;
        for (int64_t c = 0; c < s.cig; ++c) dd[c] = v;
      }
  }
}

// P adjacent output pixels (stride sw apart in the input, all taps inside the row when P > 1)
// x V vectors of output channels from cb: acc += xe[tap][j] * wr[tap][j] over taps and j.
template <int P, int V>
static inline void forwardBlock(const ConvGroupedShape& s, const float* const* rows,
                                const float* wr, int64_t iw0, int64_t cb, float* out) {
  vf acc[P][V];
  for (int q = 0; q < P; ++q)
    for (int v = 0; v < V; ++v) acc[q][v] = vf{};
  const int64_t CP = s.CoutPad, step = s.sw * s.cig * CP;
  for (int64_t kh = 0; kh < s.KH; ++kh) {
    const float* xr = rows[kh];
    if (!xr) continue;
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      const int64_t iw = iw0 + kw * s.dw;
      if (P == 1 && (iw < 0 || iw >= s.W)) continue;
      const float* xp = xr + iw * s.cig * CP + cb;
      const float* wp = wr + (kh * s.KW + kw) * s.cig * CP + cb;
      for (int64_t j = 0; j < s.cig; ++j) {
        vf wv[V];
        for (int v = 0; v < V; ++v) wv[v] = ld(wp + j * CP + v * VL);
        for (int q = 0; q < P; ++q)
          for (int v = 0; v < V; ++v) acc[q][v] += ld(xp + q * step + j * CP + v * VL) * wv[v];
      }
    }
  }
  for (int q = 0; q < P; ++q)
    for (int v = 0; v < V; ++v) st(out + q * CP + v * VL, acc[q][v]);
}

template <int P>
static void forwardPixels(const ConvGroupedShape& s, const float* const* rows, const float* wr,
                          int64_t iw0, float* out) {
  int64_t cb = 0;
  for (; cb + 4 * VL <= s.CoutPad; cb += 4 * VL) forwardBlock<P, 4>(s, rows, wr, iw0, cb, out + cb);
  for (; cb < s.CoutPad; cb += VL) forwardBlock<P, 1>(s, rows, wr, iw0, cb, out + cb);
}

void forward(const ConvGroupedShape* sp, const float* x, const float* wr, const float* bias,
             const float* residual, int activation, float* y, int64_t row0, int64_t row1,
             float* scratch) {
  const ConvGroupedShape& s = *sp;
  const int64_t rowFloats = s.W * s.cig * s.CoutPad;
  RowCache cache(scratch, (s.KH - 1) * s.dh + 1, rowFloats);
  float* out = scratch + cache.slots * rowFloats;  // 2 pixels x CoutPad
  const float* rows[kMaxSlots];
  // Output columns whose taps all fall inside the row: [owLo, owHi).
  int64_t owLo = (s.pl + s.sw - 1) / s.sw;
  int64_t owHi = s.W - 1 + s.pl - (s.KW - 1) * s.dw;
  owHi = owHi < 0 ? 0 : owHi / s.sw + 1;
  if (owHi > s.OW) owHi = s.OW;
  if (owLo > owHi) owLo = owHi;
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t n = row / s.OH, oh = row % s.OH;
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t ih = oh * s.sh - s.pt + kh * s.dh;
      rows[kh] = nullptr;
      if (ih < 0 || ih >= s.H) continue;
      bool fill;
      float* r = cache.slot(n * s.H + ih, ih, &fill);
      if (fill) expandX(s, x + (n * s.H + ih) * s.W * s.Cin, r);
      rows[kh] = r;
    }
    for (int64_t ow = 0; ow < s.OW;) {
      int pixels = 1;
      if (ow >= owLo && ow + 1 < owHi) {
        forwardPixels<2>(s, rows, wr, ow * s.sw - s.pl, out);
        pixels = 2;
      } else {
        forwardPixels<1>(s, rows, wr, ow * s.sw - s.pl, out);
      }
      for (int q = 0; q < pixels; ++q, ++ow) {
        const int64_t o = (row * s.OW + ow) * s.Cout;
        const float* a = out + q * s.CoutPad;
        for (int64_t co = 0; co < s.Cout; ++co) {
          float v = a[co];
          if (bias) v += bias[co];
          if (residual) v += residual[o + co];
          if (activation) {
            v = v > 0.0f ? v : 0.0f;
            if (activation == 2) v = v < 6.0f ? v : 6.0f;
          }
          y[o + co] = v;
        }
      }
    }
  }
}

template <int V>
static inline void backwardDataBlock(const ConvGroupedShape& s, int taps, const int64_t* tapKh,
                                     const float* const* tapRow, const float* wt, int64_t iw,
                                     int64_t cb, float* out) {
  vf acc[V];
  for (int v = 0; v < V; ++v) acc[v] = vf{};
  const int64_t CP = s.CinPad;
  for (int t = 0; t < taps; ++t) {
    const int64_t kh = tapKh[t];
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      const int64_t u = iw + s.pl - kw * s.dw;
      if (u < 0 || u % s.sw) continue;
      const int64_t ow = u / s.sw;
      if (ow >= s.OW) continue;
      const float* dp = tapRow[t] + ow * s.cog * CP + cb;
      const float* wp = wt + (kh * s.KW + kw) * s.cog * CP + cb;
      for (int64_t jo = 0; jo < s.cog; ++jo)
        for (int v = 0; v < V; ++v) acc[v] += ld(dp + jo * CP + v * VL) * ld(wp + jo * CP + v * VL);
    }
  }
  for (int v = 0; v < V; ++v) st(out + v * VL, acc[v]);
}

void backwardData(const ConvGroupedShape* sp, const float* dy, const float* wt, float* dx,
                  int64_t row0, int64_t row1, float* scratch) {
  const ConvGroupedShape& s = *sp;
  const int64_t rowFloats = s.OW * s.cog * s.CinPad;
  RowCache cache(scratch, (s.KH - 1) * s.dh / s.sh + 1, rowFloats);
  float* out = scratch + cache.slots * rowFloats;
  int64_t tapKh[kMaxSlots];
  const float* tapRow[kMaxSlots];
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t n = row / s.H, ih = row % s.H;
    int taps = 0;
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t t = ih + s.pt - kh * s.dh;
      if (t < 0 || t % s.sh) continue;
      const int64_t oh = t / s.sh;
      if (oh >= s.OH) continue;
      bool fill;
      float* r = cache.slot(n * s.OH + oh, oh, &fill);
      if (fill) expandDy(s, dy + (n * s.OH + oh) * s.OW * s.Cout, r);
      tapKh[taps] = kh;
      tapRow[taps++] = r;
    }
    for (int64_t iw = 0; iw < s.W; ++iw) {
      int64_t cb = 0;
      for (; cb + 4 * VL <= s.CinPad; cb += 4 * VL)
        backwardDataBlock<4>(s, taps, tapKh, tapRow, wt, iw, cb, out + cb);
      for (; cb < s.CinPad; cb += VL) backwardDataBlock<1>(s, taps, tapKh, tapRow, wt, iw, cb, out + cb);
      std::memcpy(dx + (row * s.W + iw) * s.Cin, out, sizeof(float) * s.Cin);
    }
  }
}

// dwr[tap][j0 + jj][cb..] += sum over ow in [lo, hi) of dyp[ow][cb..] * xe[iw(ow)][j0 + jj][cb..]
template <int JN, int V>
static inline void backwardWeightsBlock(const ConvGroupedShape& s, const float* xr,
                                        const float* dyp, float* dwr, int64_t iwOff, int64_t lo,
                                        int64_t hi) {
  const int64_t CP = s.CoutPad;
  vf acc[JN][V];
  for (int jj = 0; jj < JN; ++jj)
    for (int v = 0; v < V; ++v) acc[jj][v] = ld(dwr + jj * CP + v * VL);
  for (int64_t ow = lo; ow < hi; ++ow) {
    const int64_t iw = ow * s.sw + iwOff;
    vf d[V];
    for (int v = 0; v < V; ++v) d[v] = ld(dyp + ow * CP + v * VL);
    const float* xp = xr + iw * s.cig * CP;
    for (int jj = 0; jj < JN; ++jj)
      for (int v = 0; v < V; ++v) acc[jj][v] += d[v] * ld(xp + jj * CP + v * VL);
  }
  for (int jj = 0; jj < JN; ++jj)
    for (int v = 0; v < V; ++v) st(dwr + jj * CP + v * VL, acc[jj][v]);
}

template <int JN>
static void backwardWeightsJ(const ConvGroupedShape& s, const float* xr, const float* dyp,
                             float* dwr, int64_t iwOff, int64_t lo, int64_t hi) {
  int64_t cb = 0;
  for (; cb + 2 * VL <= s.CoutPad; cb += 2 * VL)
    backwardWeightsBlock<JN, 2>(s, xr + cb, dyp + cb, dwr + cb, iwOff, lo, hi);
  for (; cb < s.CoutPad; cb += VL)
    backwardWeightsBlock<JN, 1>(s, xr + cb, dyp + cb, dwr + cb, iwOff, lo, hi);
}

void backwardWeights(const ConvGroupedShape* sp, const float* x, const float* dy, float* dwr,
                     int64_t row0, int64_t row1, float* scratch) {
  const ConvGroupedShape& s = *sp;
  const int64_t rowFloats = s.W * s.cig * s.CoutPad, CP = s.CoutPad;
  RowCache cache(scratch, (s.KH - 1) * s.dh + 1, rowFloats);
  float* dyp = scratch + cache.slots * rowFloats;  // OW x CoutPad, pad lanes zero
  std::memset(dyp, 0, sizeof(float) * s.OW * CP);
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t n = row / s.OH, oh = row % s.OH;
    for (int64_t ow = 0; ow < s.OW; ++ow)
      std::memcpy(dyp + ow * CP, dy + (row * s.OW + ow) * s.Cout, sizeof(float) * s.Cout);
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t ih = oh * s.sh - s.pt + kh * s.dh;
      if (ih < 0 || ih >= s.H) continue;
      bool fill;
      float* xr = cache.slot(n * s.H + ih, ih, &fill);
      if (fill) expandX(s, x + (n * s.H + ih) * s.W * s.Cin, xr);
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        // ow range whose tap iw = ow*sw + iwOff lies in [0, W).
        const int64_t iwOff = kw * s.dw - s.pl;
        int64_t lo = iwOff >= 0 ? 0 : (-iwOff + s.sw - 1) / s.sw;
        int64_t hi = s.W - 1 - iwOff < 0 ? 0 : (s.W - 1 - iwOff) / s.sw + 1;
        if (hi > s.OW) hi = s.OW;
        if (lo >= hi) continue;
        float* tap = dwr + (kh * s.KW + kw) * s.cig * CP;
        int64_t j0 = 0;
        for (; j0 + 4 <= s.cig; j0 += 4)
          backwardWeightsJ<4>(s, xr + j0 * CP, dyp, tap + j0 * CP, iwOff, lo, hi);
        switch (s.cig - j0) {
          case 3: backwardWeightsJ<3>(s, xr + j0 * CP, dyp, tap + j0 * CP, iwOff, lo, hi); break;
          case 2: backwardWeightsJ<2>(s, xr + j0 * CP, dyp, tap + j0 * CP, iwOff, lo, hi); break;
          case 1: backwardWeightsJ<1>(s, xr + j0 * CP, dyp, tap + j0 * CP, iwOff, lo, hi); break;
          default: break;
        }
      }
    }
  }
}
