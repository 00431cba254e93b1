// Scalar batch-norm reference: double precision, two-pass statistics, textbook formulas.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../batchnorm.h"

namespace convkit::ref {

namespace {

double activate(BnActivation activation, double v) {
  if (activation == BnActivation::relu) return v < 0 ? 0 : v;
  if (activation == BnActivation::relu6) return std::min(std::max(v, 0.0), 6.0);
  if (activation == BnActivation::silu) return v / (1 + std::exp(-v));
  return v;
}

// d silu / dz = s (1 + z (1 - s)), s = sigmoid(z).
double siluDerivative(double z) {
  const double s = 1 / (1 + std::exp(-z));
  return s * (1 + z * (1 - s));
}

bool passesGradient(BnActivation activation, float y) {
  if (activation == BnActivation::relu) return y > 0;
  if (activation == BnActivation::relu6) return y > 0 && y < 6;
  return true;
}

}  // namespace

void batchNormForwardTraining(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float* runningMean, float* runningVar,
                              double factor, double eps, BnActivation activation, float* y,
                              float* saveMean, float* saveInvstd, const float* residual) {
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) sum += x[r * C + c];
    const double mean = sum / rows;
    double squares = 0;
    for (int64_t r = 0; r < rows; ++r) squares += (x[r * C + c] - mean) * (x[r * C + c] - mean);
    const double var = squares / rows;
    const double invstd = 1 / std::sqrt(var + eps);
    const double g = gamma ? gamma[c] : 1, b = beta ? beta[c] : 0;
    for (int64_t r = 0; r < rows; ++r)
      y[r * C + c] = static_cast<float>(activate(
          activation, (x[r * C + c] - mean) * invstd * g + b + (residual ? residual[r * C + c] : 0.0)));
    saveMean[c] = static_cast<float>(mean);
    saveInvstd[c] = static_cast<float>(invstd);
    if (runningMean) runningMean[c] = static_cast<float>((1 - factor) * runningMean[c] + factor * mean);
    if (runningVar)
      runningVar[c] = static_cast<float>((1 - factor) * runningVar[c] + factor * squares / (rows - 1));
  }
}

void batchNormForwardEval(int64_t rows, int64_t C, const float* x, const float* gamma,
                          const float* beta, const float* runningMean, const float* runningVar,
                          double eps, BnActivation activation, float* y,
                          const float* residual) {
  for (int64_t c = 0; c < C; ++c) {
    const double invstd = 1 / std::sqrt(double(runningVar[c]) + eps);
    const double g = gamma ? gamma[c] : 1, b = beta ? beta[c] : 0;
    for (int64_t r = 0; r < rows; ++r)
      y[r * C + c] = static_cast<float>(
          activate(activation, (x[r * C + c] - double(runningMean[c])) * invstd * g + b +
                                   (residual ? residual[r * C + c] : 0.0)));
  }
}

void batchNormBackward(int64_t rows, int64_t C, const float* x, const float* dy, const float* y,
                       const float* gamma, const float* mean, const float* invstd,
                       bool training, BnActivation activation, float* dx, float* dgamma,
                       float* dbeta, const float* affine) {
  std::vector<double> g(rows);
  for (int64_t c = 0; c < C; ++c) {
    double sumG = 0, sumGXhat = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = r * C + c;
      if (activation == BnActivation::silu) {
        const double z = (x[i] - double(mean[c])) * invstd[c] * (gamma ? gamma[c] : 1.0) +
                         double(affine[3 * C + c]);
        g[r] = dy[i] * siluDerivative(z);
      } else {
        g[r] = (activation == BnActivation::none || passesGradient(activation, y[i])) ? dy[i] : 0.0;
      }
      sumG += g[r];
      sumGXhat += g[r] * (x[i] - double(mean[c])) * invstd[c];
    }
    const double scale = (gamma ? gamma[c] : 1) * double(invstd[c]);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = r * C + c;
      const double xhat = (x[i] - double(mean[c])) * invstd[c];
      dx[i] = static_cast<float>(training ? scale * (g[r] - sumG / rows - xhat * sumGXhat / rows)
                                          : scale * g[r]);
    }
    if (dgamma) dgamma[c] = static_cast<float>(sumGXhat);
    if (dbeta) dbeta[c] = static_cast<float>(sumG);
  }
}

}  // namespace convkit::ref
