// Shared body of the elementwise microkernels (see ../elementwise_ukernels.h). Included inside
// a per-ISA namespace after simd.h. Explicit vectors (2 per step) then a scalar tail; the
// operands may alias the output exactly (in-place), which whole-vector load-then-store allows.

template <int kOp>
static inline vfloat applyv(vfloat x, vfloat y) {
  if (kOp == 0) return x + y;
  if (kOp == 1) return x - y;
  if (kOp == 2) return x * y;
  return x / y;
}
template <int kOp>
static inline float apply1(float x, float y) {
  if (kOp == 0) return x + y;
  if (kOp == 1) return x - y;
  if (kOp == 2) return x * y;
  return x / y;
}

// kForm 0: both vary; 1: b is one value; 2: a is one value.
template <int kOp, int kForm>
static void binary(size_t n, const float* a, const float* b, float* out) {
  if (n == 0) return;
  const vfloat as = splat(a[0]), bs = splat(b[0]);
  size_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const vfloat x0 = kForm == 2 ? as : loadv(a + i), x1 = kForm == 2 ? as : loadv(a + i + kLanes);
    const vfloat y0 = kForm == 1 ? bs : loadv(b + i), y1 = kForm == 1 ? bs : loadv(b + i + kLanes);
    storev(out + i, applyv<kOp>(x0, y0));
    storev(out + i + kLanes, applyv<kOp>(x1, y1));
  }
  for (; i + kLanes <= n; i += kLanes)
    storev(out + i, applyv<kOp>(kForm == 2 ? as : loadv(a + i), kForm == 1 ? bs : loadv(b + i)));
  for (; i < n; ++i) out[i] = apply1<kOp>(kForm == 2 ? a[0] : a[i], kForm == 1 ? b[0] : b[i]);
}

static ElementwiseUkernels elementwiseUkernels() {
  return ElementwiseUkernels{{{binary<0, 0>, binary<0, 1>, binary<0, 2>},
                              {binary<1, 0>, binary<1, 1>, binary<1, 2>},
                              {binary<2, 0>, binary<2, 1>, binary<2, 2>},
                              {binary<3, 0>, binary<3, 1>, binary<3, 2>}}};
}
