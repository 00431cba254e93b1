// GCC vector-extension helpers for the shared per-ISA bodies (pool, elementwise, reduce).
// Included only by ISA TUs, INSIDE a per-ISA namespace after `constexpr int kVectorBytes`
// is defined (16 generic, 32 avx2, 64 avx512), so each ISA gets its own copy.
// The includer has already included <cstring> and <cstdint>.

typedef float vfloat __attribute__((vector_size(kVectorBytes)));
typedef int32_t vint __attribute__((vector_size(kVectorBytes)));
constexpr size_t kLanes = kVectorBytes / sizeof(float);

// Unaligned loads/stores; memcpy compiles to one vector move.
static inline vfloat loadv(const float* p) {
  vfloat v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline vint loadvi(const int32_t* p) {
  vint v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
static inline void storev(float* p, vfloat v) { std::memcpy(p, &v, sizeof v); }
// The first n (0 < n < kLanes) floats at p, zeros in the other lanes; the store writes only
// the first n lanes. Neither touches memory past p + n (a channel tail at the end of a tensor).
static inline vfloat loadvPartial(const float* p, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (kVectorBytes == 64) {
    const __m512 v = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p);
    return reinterpret_cast<const vfloat&>(v);
  }
#endif
  vfloat v = {};
  for (int64_t i = 0; i < n; ++i) v[i] = p[i];
  return v;
}
static inline void storevPartial(float* p, vfloat v, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (kVectorBytes == 64)
    return _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1),
                                 reinterpret_cast<__m512&>(v));
#endif
  for (int64_t i = 0; i < n; ++i) p[i] = v[i];
}
static inline void storevi(int32_t* p, vint v) { std::memcpy(p, &v, sizeof v); }
// Every lane = x. x - (+0.0) is exactly x for every x, so GCC folds it to a plain broadcast
// (an FMA's embedded broadcast load). `vfloat{} + x` is not exact for x = -0.0: GCC kept a
// scalar add on the FMA ports before a register broadcast in every inner loop.
static inline vfloat splat(float x) { return x - vfloat{}; }
static inline vint splati(int32_t x) { return vint{} + x; }
static inline float hsum(vfloat v) {
  float s = 0;
  for (size_t i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

// Non-temporal (streaming) store of a whole aligned vector: for outputs larger than the caches,
// it skips the read-for-ownership of the destination line and leaves the inputs in the cache.
// `p` must be kVectorBytes-aligned. The includer includes <immintrin.h> first on x86.
static inline void streamv(float* p, vfloat v) {
#if defined(__AVX512F__)
  if constexpr (kVectorBytes == 64) return _mm512_stream_ps(p, reinterpret_cast<__m512&>(v));
#endif
#if defined(__AVX__)
  if constexpr (kVectorBytes == 32) return _mm256_stream_ps(p, reinterpret_cast<__m256&>(v));
#endif
#if defined(__SSE__)
  if constexpr (kVectorBytes == 16) return _mm_stream_ps(p, reinterpret_cast<__m128&>(v));
#endif
  storev(p, v);
}
// Orders the streaming stores before whatever follows (another thread reading the output).
static inline void streamFence() {
#if defined(__SSE__)
  _mm_sfence();
#endif
}
