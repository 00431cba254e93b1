// Scalar activation reference: double precision with libm, straight from the definitions
// (PyTorch's formulas, including which side of each kink gets which gradient).
#include <cmath>

#include "../activation.h"

namespace convkit::ref {

namespace {

// 1 / (1 + exp(-x)), and through sigmoid(-x) its complement 1 - sigmoid(x) without the
// cancellation of computing 1 - s (which loses all digits of sigmoid(-30) even in double).
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

constexpr double kGeluTanhBeta = 0.797884560802865355879892119869;  // sqrt(2/pi)
constexpr double kGeluTanhKappa = 0.044715;

double forwardValue(ActivationKind kind, double slope, double x) {
  switch (kind) {
    case ActivationKind::relu:
      return std::isnan(x) ? x : (x < 0 ? 0 : x);
    case ActivationKind::relu6:
      return std::isnan(x) ? x : std::min(std::max(x, 0.0), 6.0);
    case ActivationKind::leakyRelu:
      return x > 0 ? x : x * slope;
    case ActivationKind::sigmoid:
      return sigmoid(x);
    case ActivationKind::tanh:
      return std::tanh(x);
    case ActivationKind::silu:
      return x * sigmoid(x);
    case ActivationKind::hardswish:
      return x * std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case ActivationKind::hardsigmoid:
      return std::min(std::max(x + 3, 0.0), 6.0) / 6;
    case ActivationKind::gelu:
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case ActivationKind::geluTanh:
      // 0.5 x (1 + tanh(u)) = x sigmoid(2u), exact identity without cancellation for x << 0.
      return x * sigmoid(2 * kGeluTanhBeta * (x + kGeluTanhKappa * x * x * x));
  }
  return 0;
}

double derivative(ActivationKind kind, double slope, double x) {
  switch (kind) {
    case ActivationKind::relu:
      return x > 0 ? 1 : 0;
    case ActivationKind::relu6:
      return x > 0 && x < 6 ? 1 : 0;
    case ActivationKind::leakyRelu:
      return x > 0 ? 1 : slope;
    case ActivationKind::sigmoid:
      return sigmoid(x) * sigmoid(-x);
    case ActivationKind::tanh: {
      const double c = std::cosh(x);
      return 1 / (c * c);  // 1 - tanh^2 without cancellation
    }
    case ActivationKind::silu:
      return sigmoid(x) * (1 + x * sigmoid(-x));
    case ActivationKind::hardswish:
      return x < -3 ? 0 : (x <= 3 ? x / 3 + 0.5 : 1);
    case ActivationKind::hardsigmoid:
      return x > -3 && x < 3 ? 1.0 / 6 : 0;
    case ActivationKind::gelu:
      return 0.5 * std::erfc(-x / std::sqrt(2.0)) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    case ActivationKind::geluTanh: {
      // PyTorch's 0.5 (1 + t) + 0.5 x (1 - t^2) u', with 1 + t = 2 s and 1 - t^2 = 4 s (1 - s),
      // s = sigmoid(2u).
      const double u = kGeluTanhBeta * (x + kGeluTanhKappa * x * x * x);
      const double du = kGeluTanhBeta * (1 + 3 * kGeluTanhKappa * x * x);
      return sigmoid(2 * u) + 2 * x * sigmoid(2 * u) * sigmoid(-2 * u) * du;
    }
  }
  return 0;
}

}  // namespace

void activationForward(ActivationKind kind, float param, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(forwardValue(kind, param, x[i]));
}

void activationBackward(ActivationKind kind, float param, const float* x, const float* dy,
                        float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = static_cast<float>(derivative(kind, param, x[i]) * double(dy[i]));
}

}  // namespace convkit::ref
