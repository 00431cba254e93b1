// Pointwise activations, forward and backward, over contiguous float32 arrays (the layout does
// not matter: every element is independent). Semantics are PyTorch's, including the values at
// the kinks (relu6 and hardsigmoid pass no gradient at their corners, leakyRelu uses the slope
// at 0, hardswish uses x/3 + 1/2 on [-3, 3]).
#pragma once

#include <cstdint>

namespace convkit {

enum class ActivationKind : int {
  relu = 0,
  relu6 = 1,
  leakyRelu = 2,  // param = negative slope
  sigmoid = 3,
  tanh = 4,
  silu = 5,
  hardswish = 6,
  hardsigmoid = 7,
  gelu = 8,      // exact: x * Phi(x), Phi the normal CDF (erf form), PyTorch's default
  geluTanh = 9,  // approximate='tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
};
constexpr int kActivationKindCount = 10;

// Parses the names used by the binding ("relu", "leakyRelu", "geluTanh", ...).
bool parseActivationKind(const char* name, ActivationKind* out);
const char* activationKindName(ActivationKind kind);

// y[i] = f(x[i]). y may alias x (in place). Active ISA path, kernelThreads() threads.
void activationForward(ActivationKind kind, float param, const float* x, float* y, int64_t n);
// dx[i] = f'(x[i]) * dy[i], from the forward INPUT x (sigmoid and tanh recompute their output,
// which gives the same gradient as PyTorch's output-based formulas up to rounding).
// dx may alias dy.
void activationBackward(ActivationKind kind, float param, const float* x, const float* dy,
                        float* dx, int64_t n);

namespace ref {
// Double precision scalar loops with libm's exp/tanh/erf: the accuracy reference.
void activationForward(ActivationKind kind, float param, const float* x, float* y, int64_t n);
void activationBackward(ActivationKind kind, float param, const float* x, const float* dy,
                        float* dx, int64_t n);
}  // namespace ref

}  // namespace convkit
