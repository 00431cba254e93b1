// Body of the Winograd F(4x4, 3x3) transforms (declared in ../winograd_ukernels.h), included
// by native/isa/<isa>/winograd.cc inside a per-ISA namespace after common/simd.h. Each 2-D
// transform is the 1-D one applied to the columns, then to the rows of the result.

namespace winograd_detail {

// n <= kLanes floats; the lanes past n read as zero and are not stored.
static inline vfloat loadn(const float* p, size_t n) {
  if (n == kLanes) return loadv(p);
  vfloat v = splat(0.0f);
  std::memcpy(&v, p, n * sizeof(float));
  return v;
}
static inline void storen(float* p, vfloat v, size_t n) {
  if (n == kLanes)
    storev(p, v);
  else
    std::memcpy(p, &v, n * sizeof(float));
}

// r = B^T d (6 -> 6).
static inline void inputRow(const vfloat* d, vfloat* r) {
  const vfloat four = splat(4.0f), five = splat(5.0f), two = splat(2.0f);
  r[0] = four * d[0] - five * d[2] + d[4];
  r[1] = d[3] + d[4] - four * (d[1] + d[2]);
  r[2] = four * (d[1] - d[2]) + d[4] - d[3];
  r[3] = two * (d[3] - d[1]) + d[4] - d[2];
  r[4] = two * (d[1] - d[3]) + d[4] - d[2];
  r[5] = four * d[1] - five * d[3] + d[5];
}
// o = A^T m (6 -> 4).
static inline void outputRow(const vfloat* m, vfloat* o) {
  const vfloat p12 = m[1] + m[2], m12 = m[1] - m[2];
  const vfloat p34 = m[3] + m[4], m34 = m[3] - m[4];
  o[0] = m[0] + p12 + p34;
  o[1] = m12 + splat(2.0f) * m34;
  o[2] = p12 + splat(4.0f) * p34;
  o[3] = m12 + splat(8.0f) * m34 + m[5];
}
// u = G g (3 -> 6).
static inline void weightRow(const vfloat* g, vfloat* u) {
  const vfloat s02 = g[0] + g[2];
  u[0] = splat(0.25f) * g[0];
  u[1] = splat(-1.0f / 6.0f) * (s02 + g[1]);
  u[2] = splat(-1.0f / 6.0f) * (s02 - g[1]);
  const vfloat q = splat(1.0f / 24.0f) * g[0] + splat(1.0f / 6.0f) * g[2];
  u[3] = q + splat(1.0f / 12.0f) * g[1];
  u[4] = q - splat(1.0f / 12.0f) * g[1];
  u[5] = g[2];
}
// r = A e (4 -> 6).
static inline void gradOutputRow(const vfloat* e, vfloat* r) {
  const vfloat p02 = e[0] + e[2], p13 = e[1] + e[3];
  const vfloat q02 = e[0] + splat(4.0f) * e[2], q13 = splat(2.0f) * e[1] + splat(8.0f) * e[3];
  r[0] = e[0];
  r[1] = p02 + p13;
  r[2] = p02 - p13;
  r[3] = q02 + q13;
  r[4] = q02 - q13;
  r[5] = e[3];
}
// k = G^T d (6 -> 3).
static inline void weightGradRow(const vfloat* d, vfloat* k) {
  const vfloat p12 = d[1] + d[2], m12 = d[2] - d[1];
  const vfloat p34 = d[3] + d[4], m34 = d[3] - d[4];
  k[0] = splat(0.25f) * d[0] - splat(1.0f / 6.0f) * p12 + splat(1.0f / 24.0f) * p34;
  k[1] = splat(1.0f / 6.0f) * m12 + splat(1.0f / 12.0f) * m34;
  k[2] = splat(1.0f / 6.0f) * (p34 - p12) + d[5];
}

// 2-D transform of one channel block: `In` x `In` values (loaded by get(a, b)) to `Out` x `Out`
// (stored by put(a, b, v)), by the 1-D transform `row` (In -> Out) on columns, then rows.
// `row` is a lambda, not a function pointer, so that it inlines and the tile stays in registers.
template <int In, int Out, typename Row, typename Get, typename Put>
__attribute__((always_inline)) static inline void transform2d(Row row, Get get, Put put) {
  vfloat cols[Out][In];  // cols[a][b] = (T x)[a][b]: column b transformed
  for (int b = 0; b < In; ++b) {
    vfloat column[In], t[Out];
    for (int a = 0; a < In; ++a) column[a] = get(a, b);
    row(column, t);
    for (int a = 0; a < Out; ++a) cols[a][b] = t[a];
  }
  for (int a = 0; a < Out; ++a) {
    vfloat t[Out];
    row(cols[a], t);
    for (int b = 0; b < Out; ++b) put(a, b, t[b]);
  }
}

void input(size_t C, const float* const* px, float* v, size_t ldv) {
  for (size_t c = 0; c < C; c += kLanes) {
    const size_t n = C - c < kLanes ? C - c : kLanes;
    transform2d<6, 6>(
        [](const vfloat* in, vfloat* out) { inputRow(in, out); }, [&](int a, int b) { return loadn(px[6 * a + b] + c, n); },
        [&](int a, int b, vfloat x) { storen(v + (6 * a + b) * ldv + c, x, n); });
  }
}

void gradOutput(size_t C, const float* const* py, float* e, size_t lde) {
  for (size_t c = 0; c < C; c += kLanes) {
    const size_t n = C - c < kLanes ? C - c : kLanes;
    transform2d<4, 6>(
        [](const vfloat* in, vfloat* out) { gradOutputRow(in, out); }, [&](int a, int b) { return loadn(py[4 * a + b] + c, n); },
        [&](int a, int b, vfloat x) { storen(e + (6 * a + b) * lde + c, x, n); });
  }
}

void output(size_t C, const float* m, size_t ldm, const float* bias, const float* const* res,
            int activation, float* const* out) {
  const vfloat zero = splat(0.0f), six = splat(6.0f);
  for (size_t c = 0; c < C; c += kLanes) {
    const size_t n = C - c < kLanes ? C - c : kLanes;
    const vfloat b = bias ? loadn(bias + c, n) : zero;
    transform2d<6, 4>(
        [](const vfloat* in, vfloat* out) { outputRow(in, out); }, [&](int a, int j) { return loadn(m + (6 * a + j) * ldm + c, n); },
        [&](int a, int j, vfloat y) {
          float* o = out[4 * a + j];
          if (!o) return;
          y += b;
          if (res) y += loadn(res[4 * a + j] + c, n);
          if (activation) {
            y = y > zero ? y : zero;
            if (activation == 2) y = y < six ? y : six;
          }
          storen(o + c, y, n);
        });
  }
}

void weight(size_t C, const float* g, size_t ldg, float* u, size_t ldu) {
  for (size_t c = 0; c < C; c += kLanes) {
    const size_t n = C - c < kLanes ? C - c : kLanes;
    transform2d<3, 6>(
        [](const vfloat* in, vfloat* out) { weightRow(in, out); }, [&](int a, int b) { return loadn(g + (3 * a + b) * ldg + c, n); },
        [&](int a, int b, vfloat x) { storen(u + (6 * a + b) * ldu + c, x, n); });
  }
}

void weightGrad(size_t C, const float* du, size_t ldu, float* dw, size_t ldw) {
  for (size_t c = 0; c < C; c += kLanes) {
    const size_t n = C - c < kLanes ? C - c : kLanes;
    transform2d<6, 3>(
        [](const vfloat* in, vfloat* out) { weightGradRow(in, out); }, [&](int a, int b) { return loadn(du + (6 * a + b) * ldu + c, n); },
        [&](int a, int b, vfloat x) { storen(dw + (3 * a + b) * ldw + c, x, n); });
  }
}

}  // namespace winograd_detail

static WinogradUkernels winogradUkernels() {
  return {winograd_detail::input, winograd_detail::gradOutput, winograd_detail::output,
          winograd_detail::weight, winograd_detail::weightGrad};
}
