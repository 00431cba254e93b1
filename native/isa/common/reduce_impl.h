// Shared body of the reduction microkernels (see ../reduce_ukernels.h). Included inside a
// per-ISA namespace after simd.h.

static void accumulate(size_t n, const float* in, float* acc) {
  size_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    storev(acc + i, loadv(acc + i) + loadv(in + i));
    storev(acc + i + kLanes, loadv(acc + i + kLanes) + loadv(in + i + kLanes));
  }
  for (; i + kLanes <= n; i += kLanes) storev(acc + i, loadv(acc + i) + loadv(in + i));
  for (; i < n; ++i) acc[i] += in[i];
}

// Four vector accumulators: independent chains, and 4 * kLanes partial sums keep the
// rounding error far below a sequential sum's.
static float sum(size_t n, const float* in) {
  vfloat s[4] = {};
  size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes)
    for (int u = 0; u < 4; ++u) s[u] += loadv(in + i + u * kLanes);
  for (; i + kLanes <= n; i += kLanes) s[0] += loadv(in + i);
  float tail = 0;
  for (; i < n; ++i) tail += in[i];
  return hsum((s[0] + s[1]) + (s[2] + s[3])) + tail;
}

static void scale(size_t n, float s, float* x) {
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) storev(x + i, loadv(x + i) * splat(s));
  for (; i < n; ++i) x[i] *= s;
}

// acc[c] += sum over `rows` rows (stride C) of a[c] * b[c]: channel blocks outermost, so each
// block's accumulators stay in registers across the rows.
static void dotRows(size_t rows, size_t C, const float* a, const float* b, float* acc) {
  size_t c = 0;
  for (; c + 4 * kLanes <= C; c += 4 * kLanes) {
    vfloat s[4];
    for (int u = 0; u < 4; ++u) s[u] = loadv(acc + c + u * kLanes);
    for (size_t r = 0; r < rows; ++r)
      for (int u = 0; u < 4; ++u) {
        const size_t o = r * C + c + u * kLanes;
        s[u] += loadv(a + o) * loadv(b + o);
      }
    for (int u = 0; u < 4; ++u) storev(acc + c + u * kLanes, s[u]);
  }
  for (; c + kLanes <= C; c += kLanes) {
    vfloat s = loadv(acc + c);
    for (size_t r = 0; r < rows; ++r) s += loadv(a + r * C + c) * loadv(b + r * C + c);
    storev(acc + c, s);
  }
  for (; c < C; ++c)
    for (size_t r = 0; r < rows; ++r) acc[c] += a[r * C + c] * b[r * C + c];
}

static ReduceUkernels reduceUkernels() {
  return ReduceUkernels{accumulate, sum, scale, dotRows};
}
