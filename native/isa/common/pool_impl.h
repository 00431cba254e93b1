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

static PoolUkernels poolUkernels() {
  return PoolUkernels{maxForward, maxBackward, avgForward, avgBackward};
}
