// Helpers shared by the depthwise kernel bodies (depthwise_impl.h, depthwise_window_impl.h):
// the vector type and lane count of the including ISA's `Vec`, full / tail loads and stores,
// the fused activation, and the tap range of a kernel axis. Included inside the ISA's namespace
// by depthwise_impl.h, before the bodies.

using T = typename Vec::T;
constexpr int64_t L = Vec::kLanes;

template <bool kTail>
inline T ld(const float* p, int n) {
  if constexpr (kTail)
    return Vec::loadTail(p, n);
  else
    return Vec::load(p);
}

template <bool kTail>
inline void st(float* p, T v, int n) {
  if constexpr (kTail)
    Vec::storeTail(p, v, n);
  else
    Vec::store(p, v);
}

inline T activate(T v, int activation) {
  if (activation == 1) return Vec::max(v, Vec::zero());
  if (activation == 2) return Vec::min(Vec::max(v, Vec::zero()), Vec::set1(6.0f));
  return v;
}

// Taps [lo, hi) of a kernel axis whose input index base + k * dilation lies in [0, size).
struct TapRange {
  int64_t lo, hi;
};
inline TapRange tapRange(int64_t base, int64_t size, int64_t taps, int64_t dilation) {
  const int64_t lo = base >= 0 ? 0 : (-base + dilation - 1) / dilation;
  const int64_t last = size - 1 - base;
  int64_t hi = last < 0 ? 0 : std::min(taps, last / dilation + 1);
  return {std::min(lo, hi), hi};
}

