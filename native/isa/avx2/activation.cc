// Activation loops for the avx2 path: the shared body with 8-float vectors.
#include <cstdint>

#include "../activation_ukernels.h"

namespace convkit::isa::avx2 {
constexpr int kLanes = 8;
#include "../common/activation_impl.h"
}  // namespace convkit::isa::avx2

namespace convkit::isa {

void f32_activation_forward__avx2(int kind, float param, const float* x, float* y, int64_t n) {
  avx2::activation_detail::forwardDispatch(kind, param, x, y, n);
}

void f32_activation_backward__avx2(int kind, float param, const float* x, const float* dy,
                                 float* dx, int64_t n) {
  avx2::activation_detail::backwardDispatch(kind, param, x, dy, dx, n);
}

}  // namespace convkit::isa
