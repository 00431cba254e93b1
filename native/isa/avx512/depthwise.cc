// Depthwise row kernels, AVX-512: 16 channels per vector, channel tails by lane masks.
#include <immintrin.h>

// GCC 12 reports the undefined pass-through operand inside _mm512_max_ps/_mm512_min_ps as
// maybe-uninitialized (a false positive in its own header).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "../depthwise_ukernels.h"

namespace convkit::isa {
// A namespace of the family's own inside the ISA's: other families' bodies (also compiled
// into convkit::isa::avx512) may define helpers with the same names.
namespace avx512::depthwise {

struct Vec {
  using T = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kRegisters = 32;  // vector registers (sizes the register blocks)
  static __mmask16 mask(int n) { return __mmask16((1u << n) - 1); }
  static T zero() { return _mm512_setzero_ps(); }
  static T set1(float v) { return _mm512_set1_ps(v); }
  static T load(const float* p) { return _mm512_loadu_ps(p); }
  static T loadTail(const float* p, int n) { return _mm512_maskz_loadu_ps(mask(n), p); }
  static void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static void storeTail(float* p, T v, int n) { _mm512_mask_storeu_ps(p, mask(n), v); }
  static T fma(T a, T b, T acc) { return _mm512_fmadd_ps(a, b, acc); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  static T min(T a, T b) { return _mm512_min_ps(a, b); }
};

#include "../common/depthwise_impl.h"

}  // namespace avx512::depthwise

void f32_depthwise_forward__avx512(const DepthwiseArgs* a, const float* x, float* y,
                                   int64_t rowBegin, int64_t rowEnd) {
  avx512::depthwise::forwardRows(*a, x, y, rowBegin, rowEnd);
}
void f32_depthwise_backward_data__avx512(const DepthwiseArgs* a, const float* dy, float* dx,
                                         int64_t rowBegin, int64_t rowEnd) {
  avx512::depthwise::backwardDataRows(*a, dy, dx, rowBegin, rowEnd);
}
void f32_depthwise_backward_weights__avx512(const DepthwiseArgs* a, const float* x,
                                            const float* dy, float* dw, float* db,
                                            int64_t rowBegin, int64_t rowEnd) {
  avx512::depthwise::backwardWeightsRows(*a, x, dy, dw, db, rowBegin, rowEnd);
}

}  // namespace convkit::isa
