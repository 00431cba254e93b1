// Activation loops for the generic path: the shared body with 4-float vectors.
#include <cstdint>

#include "../activation_ukernels.h"

namespace convkit::isa::generic {
constexpr int kLanes = 4;
#include "../common/activation_impl.h"
}  // namespace convkit::isa::generic

namespace convkit::isa {

void f32_activation_forward__generic(int kind, float param, const float* x, float* y, int64_t n) {
  generic::activation_detail::forwardDispatch(kind, param, x, y, n);
}

void f32_activation_backward__generic(int kind, float param, const float* x, const float* dy,
                                 float* dx, int64_t n) {
  generic::activation_detail::backwardDispatch(kind, param, x, dy, dx, n);
}

}  // namespace convkit::isa
