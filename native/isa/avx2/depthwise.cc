// Depthwise row kernels, AVX2 + FMA: 8 channels per vector, channel tails by vmaskmov masks.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "../depthwise_ukernels.h"

namespace convkit::isa {
// A namespace of the family's own inside the ISA's: other families' bodies (also compiled
// into convkit::isa::avx2) may define helpers with the same names.
namespace avx2::depthwise {

struct Vec {
  using T = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;  // vector registers (sizes the register blocks)
  // Lane i is active when i < n (the sign bit of each 32-bit mask lane selects it).
  static __m256i mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static T zero() { return _mm256_setzero_ps(); }
  static T set1(float v) { return _mm256_set1_ps(v); }
  static T load(const float* p) { return _mm256_loadu_ps(p); }
  static T loadTail(const float* p, int n) { return _mm256_maskload_ps(p, mask(n)); }
  static void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static void storeTail(float* p, T v, int n) { _mm256_maskstore_ps(p, mask(n), v); }
  static T fma(T a, T b, T acc) { return _mm256_fmadd_ps(a, b, acc); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  static T min(T a, T b) { return _mm256_min_ps(a, b); }
};

#include "../common/depthwise_impl.h"

}  // namespace avx2::depthwise

void f32_depthwise_forward__avx2(const DepthwiseArgs* a, const float* x, float* y,
                                 int64_t rowBegin, int64_t rowEnd) {
  avx2::depthwise::forwardRows(*a, x, y, rowBegin, rowEnd);
}
void f32_depthwise_backward_data__avx2(const DepthwiseArgs* a, const float* dy, float* dx,
                                       int64_t rowBegin, int64_t rowEnd) {
  avx2::depthwise::backwardDataRows(*a, dy, dx, rowBegin, rowEnd);
}
void f32_depthwise_backward_weights__avx2(const DepthwiseArgs* a, const float* x,
                                          const float* dy, float* dw, float* db,
                                          int64_t rowBegin, int64_t rowEnd) {
  avx2::depthwise::backwardWeightsRows(*a, x, dy, dw, db, rowBegin, rowEnd);
}

}  // namespace convkit::isa
