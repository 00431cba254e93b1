// Dropout mask and scaling, written once with `#pragma omp simd` and compiled per ISA
// (included inside namespace convkit::isa::<isa>). The keep decision of element e depends only
// on (key, counter + e): results are the same for any thread count and any ISA path.
// Include <cstdint> and "../dropout_ukernels.h" before the namespace; no includes here.

void dropout_forward(const float* __restrict x, float* __restrict y, uint8_t* __restrict mask,
                     int64_t n, uint64_t key, uint64_t start, uint32_t threshold, float scale) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t r = dropout_bits(key, start + static_cast<uint64_t>(i));
    const bool keep = r < threshold;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

void dropout_backward(const float* __restrict dy, const uint8_t* __restrict mask,
                      float* __restrict dx, int64_t n, float scale) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}
