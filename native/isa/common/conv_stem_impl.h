// Body of the few-input-channel direct convolution (declared in ../conv_stem_ukernels.h).
// Included inside a per-ISA namespace after simd.h and `constexpr int kStrip` (output pixels
// per register block). Output channels go in pairs of vectors: kStrip x 2 accumulators.

namespace conv_stem_detail {

static inline vfloat loadn(const float* p, int64_t n) {
  if (n >= int64_t(kLanes)) return loadv(p);
  vfloat v = splat(0.0f);
  std::memcpy(&v, p, sizeof(float) * (n > 0 ? n : 0));
  return v;
}
static inline void storen(float* p, vfloat v, int64_t n) {
  if (n >= int64_t(kLanes))
    storev(p, v);
  else if (n > 0)
    std::memcpy(p, &v, sizeof(float) * n);
}

// One strip of kStrip output pixels (np valid) and the channel pair at co.
static inline void forwardStrip(const ConvStemShape* s, const float* base, const float* wt,
                                const float* bias, float* yp, int64_t co, int64_t np) {
  const int64_t CP = s->CoutPad, step = s->sw * s->Cin;
  const bool two = co + int64_t(kLanes) < CP;
  vfloat a0[kStrip], a1[kStrip];
  const vfloat b0 = bias ? loadn(bias + co, s->Cout - co) : splat(0.0f);
  const vfloat b1 = bias && two ? loadn(bias + co + kLanes, s->Cout - co - kLanes) : splat(0.0f);
  for (int p = 0; p < kStrip; ++p) {
    a0[p] = b0;
    a1[p] = b1;
  }
  for (int64_t t = 0; t < s->taps; ++t) {
    const float* w = wt + t * CP + co;
    const vfloat w0 = loadv(w), w1 = two ? loadv(w + kLanes) : splat(0.0f);
    const float* xt = base + s->offset[t];
    for (int p = 0; p < kStrip; ++p) {
      const vfloat xv = splat(xt[p * step]);
      a0[p] += xv * w0;
      a1[p] += xv * w1;
    }
  }
  // A compile-time trip count (the guard inside): indexing the accumulators with a runtime
  // bound would keep them in memory instead of registers.
  for (int p = 0; p < kStrip; ++p) {
    if (p >= np) break;
    storen(yp + p * s->Cout + co, a0[p], s->Cout - co);
    if (two) storen(yp + p * s->Cout + co + kLanes, a1[p], s->Cout - co - kLanes);
  }
}

void forward(const ConvStemShape* s, const float* xp, const float* wt, const float* bias,
             float* y, int64_t row0, int64_t row1) {
  for (int64_t row = row0; row < row1; ++row) {
    const int64_t n = row / s->OH, oh = row % s->OH;
    const float* rowBase = xp + (n * s->Hp + oh * s->sh) * s->Wp * s->Cin;
    float* yrow = y + row * s->OW * s->Cout;
    for (int64_t ow0 = 0; ow0 < s->OW; ow0 += kStrip) {
      const int64_t np = s->OW - ow0 < kStrip ? s->OW - ow0 : kStrip;
      const float* base = rowBase + ow0 * s->sw * s->Cin;
      for (int64_t co = 0; co < s->CoutPad; co += 2 * kLanes)
        forwardStrip(s, base, wt, bias, yrow + ow0 * s->Cout, co, np);
    }
  }
}

}  // namespace conv_stem_detail
