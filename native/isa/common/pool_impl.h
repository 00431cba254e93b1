// Shared body of the pooling microkernels (see ../pool_ukernels.h). Included inside a per-ISA
// namespace after simd.h. Channels are processed 4 vectors at a time (independent
// accumulators hide the compare/select latency), then 1 vector, then a scalar tail.

static void maxForward(size_t channels, size_t count, const float* const* in,
                       const int32_t* positions, float* out, int32_t* index) {
  const float negInf = -__builtin_inff();
  const int32_t first = count ? positions[0] : -1;
  size_t c = 0;
  for (; c + 4 * kLanes <= channels; c += 4 * kLanes) {
    vfloat m[4];
    vint idx[4];
    for (int u = 0; u < 4; ++u) m[u] = splat(negInf), idx[u] = splati(first);
    for (size_t k = 0; k < count; ++k) {
      const float* src = in[k] + c;
      const vint pos = splati(positions[k]);
      for (int u = 0; u < 4; ++u) {
        const vfloat v = loadv(src + u * kLanes);
        const vint take = (v > m[u]) | (v != v);  // NaN propagates, as PyTorch
        m[u] = take ? v : m[u];
        idx[u] = take ? pos : idx[u];
      }
    }
    for (int u = 0; u < 4; ++u) storev(out + c + u * kLanes, m[u]), storevi(index + c + u * kLanes, idx[u]);
  }
  for (; c + kLanes <= channels; c += kLanes) {
    vfloat m = splat(negInf);
    vint idx = splati(first);
    for (size_t k = 0; k < count; ++k) {
      const vfloat v = loadv(in[k] + c);
      const vint take = (v > m) | (v != v);
      m = take ? v : m;
      idx = take ? splati(positions[k]) : idx;
    }
    storev(out + c, m);
    storevi(index + c, idx);
  }
  for (; c < channels; ++c) {
    float m = negInf;
    int32_t idx = first;
    for (size_t k = 0; k < count; ++k) {
      const float v = in[k][c];
      if (v > m || v != v) m = v, idx = positions[k];
    }
    out[c] = m;
    index[c] = idx;
  }
}

static void maxBackward(size_t channels, size_t count, float* const* gradIn,
                        const int32_t* positions, const float* gradOut, const int32_t* index) {
  size_t c = 0;
  for (; c + kLanes <= channels; c += kLanes) {
    const vfloat g = loadv(gradOut + c);
    const vint idx = loadvi(index + c);
    for (size_t k = 0; k < count; ++k) {
      const vint hit = idx == splati(positions[k]);
      float* dst = gradIn[k] + c;
      storev(dst, loadv(dst) + (hit ? g : vfloat{}));
    }
  }
  for (; c < channels; ++c)
    for (size_t k = 0; k < count; ++k)
      if (index[c] == positions[k]) gradIn[k][c] += gradOut[c];
}

static void avgForward(size_t channels, size_t count, const float* const* in, float scale,
                       float* out) {
  size_t c = 0;
  const vfloat s = splat(scale);
  for (; c + 4 * kLanes <= channels; c += 4 * kLanes) {
    vfloat acc[4] = {};
    for (size_t k = 0; k < count; ++k)
      for (int u = 0; u < 4; ++u) acc[u] += loadv(in[k] + c + u * kLanes);
    for (int u = 0; u < 4; ++u) storev(out + c + u * kLanes, acc[u] * s);
  }
  for (; c + kLanes <= channels; c += kLanes) {
    vfloat acc = {};
    for (size_t k = 0; k < count; ++k) acc += loadv(in[k] + c);
    storev(out + c, acc * s);
  }
  for (; c < channels; ++c) {
    float acc = 0;
    for (size_t k = 0; k < count; ++k) acc += in[k][c];
    out[c] = acc * scale;
  }
}

static void avgBackward(size_t channels, size_t count, float* const* gradIn, float scale,
                        const float* gradOut) {
  size_t c = 0;
  for (; c + kLanes <= channels; c += kLanes) {
    const vfloat g = loadv(gradOut + c) * splat(scale);
    for (size_t k = 0; k < count; ++k) storev(gradIn[k] + c, loadv(gradIn[k] + c) + g);
  }
  for (; c < channels; ++c) {
    const float g = gradOut[c] * scale;
    for (size_t k = 0; k < count; ++k) gradIn[k][c] += g;
  }
}

// Window taps [lo, hi) along one axis whose input index base + k * dilation lies in [0, in).
static inline void windowTaps(int64_t base, int64_t in, int64_t taps, int64_t dilation,
                              int64_t* lo, int64_t* hi) {
  const int64_t first = base >= 0 ? 0 : (-base + dilation - 1) / dilation;
  const int64_t last = in - 1 - base;
  *hi = last < 0 ? 0 : (taps < last / dilation + 1 ? taps : last / dilation + 1);
  *lo = first < *hi ? first : *hi;
}

// U channel vectors of one output pixel over the window rows i < rows, columns j < cols.
template <int U>
static inline void maxWindow(const float* plane, int64_t W, int64_t C, int64_t ih0, int64_t dh,
                             int64_t rows, int64_t iw0, int64_t dw, int64_t cols, float* out,
                             int32_t* index) {
  vfloat m[U];
  vint idx[U];
  const int32_t first = rows > 0 && cols > 0 ? int32_t(ih0 * W + iw0) : -1;
  for (int u = 0; u < U; ++u) m[u] = splat(-__builtin_inff()), idx[u] = splati(first);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t pos = (ih0 + i * dh) * W + iw0 + j * dw;
      const float* src = plane + pos * C;
      const vint vpos = splati(int32_t(pos));
      for (int u = 0; u < U; ++u) {
        const vfloat v = loadv(src + u * kLanes);
        const vint take = (v > m[u]) | (v != v);  // NaN propagates, as PyTorch
        m[u] = take ? v : m[u];
        idx[u] = take ? vpos : idx[u];
      }
    }
  for (int u = 0; u < U; ++u) storev(out + u * kLanes, m[u]), storevi(index + u * kLanes, idx[u]);
}

static void maxForwardRow(const PoolRowArgs* a, const float* plane, int64_t oh, float* out,
                          int32_t* index) {
  const int64_t C = a->C, baseH = oh * a->sh - a->ph;
  int64_t khLo, khHi;
  windowTaps(baseH, a->H, a->kh, a->dh, &khLo, &khHi);
  const int64_t ih0 = baseH + khLo * a->dh, rows = khHi - khLo;
  for (int64_t ow = 0; ow < a->OW; ++ow) {
    const int64_t baseW = ow * a->sw - a->pw;
    int64_t kwLo, kwHi;
    windowTaps(baseW, a->W, a->kw, a->dw, &kwLo, &kwHi);
    const int64_t iw0 = baseW + kwLo * a->dw, cols = kwHi - kwLo;
    float* o = out + ow * C;
    int32_t* ix = index + ow * C;
    int64_t c = 0;
    for (; c + 4 * int64_t(kLanes) <= C; c += 4 * kLanes)
      maxWindow<4>(plane + c, a->W, C, ih0, a->dh, rows, iw0, a->dw, cols, o + c, ix + c);
    for (; c + int64_t(kLanes) <= C; c += kLanes)
      maxWindow<1>(plane + c, a->W, C, ih0, a->dh, rows, iw0, a->dw, cols, o + c, ix + c);
    for (; c < C; ++c) {
      float m = -__builtin_inff();
      int32_t idx = rows > 0 && cols > 0 ? int32_t(ih0 * a->W + iw0) : -1;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t pos = (ih0 + i * a->dh) * a->W + iw0 + j * a->dw;
          const float v = plane[pos * C + c];
          if (v > m || v != v) m = v, idx = int32_t(pos);
        }
      o[c] = m;
      ix[c] = idx;
    }
  }
}

// U channel vectors summed over n rows into acc (loaded and stored once).
template <int U>
static inline void sumRowsBlock(const float* x, int64_t n, int64_t C, float* acc) {
  vfloat s[U];
  for (int u = 0; u < U; ++u) s[u] = loadv(acc + u * kLanes);
  for (int64_t r = 0; r < n; ++r)
    for (int u = 0; u < U; ++u) s[u] += loadv(x + r * C + u * kLanes);
  for (int u = 0; u < U; ++u) storev(acc + u * kLanes, s[u]);
}

// Tiles of ~16 KiB of rows (L1), each swept by groups of 4 vectors kept in registers.
static void sumRows(const float* x, int64_t rows, int64_t C, float* acc) {
  const int64_t tile = C >= 1024 ? 4 : 4096 / (C > 0 ? C : 1);
  for (int64_t t0 = 0; t0 < rows; t0 += tile) {
    const int64_t n = rows - t0 < tile ? rows - t0 : tile;
    const float* xt = x + t0 * C;
    int64_t c = 0;
    for (; c + 4 * int64_t(kLanes) <= C; c += 4 * kLanes) sumRowsBlock<4>(xt + c, n, C, acc + c);
    for (; c + int64_t(kLanes) <= C; c += kLanes) sumRowsBlock<1>(xt + c, n, C, acc + c);
    for (; c < C; ++c)
      for (int64_t r = 0; r < n; ++r) acc[c] += xt[r * C + c];
  }
}

static PoolUkernels poolUkernels() {
  return PoolUkernels{maxForward, maxBackward, avgForward, avgBackward, maxForwardRow, sumRows};
}
