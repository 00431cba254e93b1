// Depthwise row kernels, portable C++: an 8-lane float struct whose lane loops the compiler
// auto-vectorises for the baseline target (SSE2 on x86-64, NEON on arm64); tails loop per lane.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "../depthwise_ukernels.h"

namespace convkit::isa {
// A namespace of the family's own inside the ISA's: other families' bodies (also compiled
// into convkit::isa::generic) may define helpers with the same names.
namespace generic::depthwise {

struct Lanes8 {
  float v[8];
};

struct Vec {
  using T = Lanes8;
  static constexpr int kLanes = 8;
  static constexpr int kRegisters = 16;  // vector registers (sizes the register blocks)
  static T zero() { return set1(0.0f); }
  static T set1(float s) {
    T r;
    for (int i = 0; i < 8; ++i) r.v[i] = s;
    return r;
  }
  static T load(const float* p) {
    T r;
    for (int i = 0; i < 8; ++i) r.v[i] = p[i];
    return r;
  }
  static T loadTail(const float* p, int n) {
    T r = zero();
    for (int i = 0; i < n; ++i) r.v[i] = p[i];
    return r;
  }
  static void store(float* p, T a) {
    for (int i = 0; i < 8; ++i) p[i] = a.v[i];
  }
  static void storeTail(float* p, T a, int n) {
    for (int i = 0; i < n; ++i) p[i] = a.v[i];
  }
  static T fma(T a, T b, T acc) {
    for (int i = 0; i < 8; ++i) acc.v[i] += a.v[i] * b.v[i];
    return acc;
  }
  static T add(T a, T b) {
    for (int i = 0; i < 8; ++i) a.v[i] += b.v[i];
    return a;
  }
  static T max(T a, T b) {
    for (int i = 0; i < 8; ++i) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    return a;
  }
  static T min(T a, T b) {
    for (int i = 0; i < 8; ++i) a.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
    return a;
  }
};

#include "../common/depthwise_impl.h"

}  // namespace generic::depthwise

void f32_depthwise_forward__generic(const DepthwiseArgs* a, const float* x, float* y,
                                    int64_t rowBegin, int64_t rowEnd) {
  generic::depthwise::forwardRows(*a, x, y, rowBegin, rowEnd);
}
void f32_depthwise_backward_data__generic(const DepthwiseArgs* a, const float* dy, float* dx,
                                          int64_t rowBegin, int64_t rowEnd) {
  generic::depthwise::backwardDataRows(*a, dy, dx, rowBegin, rowEnd);
}
void f32_depthwise_backward_weights__generic(const DepthwiseArgs* a, const float* x,
                                             const float* dy, float* dw, float* db,
                                             int64_t rowBegin, int64_t rowEnd) {
  generic::depthwise::backwardWeightsRows(*a, x, dy, dw, db, rowBegin, rowEnd);
}

}  // namespace convkit::isa
