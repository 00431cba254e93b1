// Scalar references for softmax, logSoftmax and the losses: naive loops in double, written
// straight from PyTorch 1.13's definitions (log_softmax + nll_loss, and label smoothing as
// torch/csrc/.../LossNLL.cpp's cross_entropy_loss_label_smoothing).
#include <cmath>
#include <vector>

#include "../softmax_xent.h"

namespace convkit::ref {

namespace {

std::vector<double> logSoftmaxRow(const float* x, int64_t C) {
  double m = -INFINITY;
  for (int64_t c = 0; c < C; ++c) m = std::fmax(m, x[c]);
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += std::exp(x[c] - m);
  std::vector<double> out(C);
  for (int64_t c = 0; c < C; ++c) out[c] = x[c] - m - std::log(s);
  return out;
}

double weightOf(const ClassLossOptions& o, int64_t c) { return o.weight ? o.weight[c] : 1.0; }

bool ignored(const int32_t* labels, int64_t i, const ClassLossOptions& o) {
  return labels[i] == o.ignoreIndex;
}

double normaliser(const int32_t* labels, int64_t N, const ClassLossOptions& o) {
  double w = 0;
  for (int64_t i = 0; i < N; ++i)
    if (!ignored(labels, i, o)) w += weightOf(o, labels[i]);
  return w;
}

void reduce(const std::vector<double>& perRow, Reduction r, double norm, float* out) {
  double total = 0;
  for (size_t i = 0; i < perRow.size(); ++i) {
    if (r == Reduction::none) out[i] = static_cast<float>(perRow[i]);
    total += perRow[i];
  }
  if (r == Reduction::sum) out[0] = static_cast<float>(total);
  if (r == Reduction::mean) out[0] = static_cast<float>(total / norm);
}

double gradOf(const float* gradOut, int64_t i, Reduction r, double norm) {
  if (r == Reduction::none) return gradOut[i];
  return r == Reduction::mean ? gradOut[0] / norm : gradOut[0];
}

}  // namespace

void softmaxForward(const float* x, float* y, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    const auto lp = logSoftmaxRow(x + r * C, C);
    for (int64_t c = 0; c < C; ++c) y[r * C + c] = static_cast<float>(std::exp(lp[c]));
  }
}

void logSoftmaxForward(const float* x, float* y, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    const auto lp = logSoftmaxRow(x + r * C, C);
    for (int64_t c = 0; c < C; ++c) y[r * C + c] = static_cast<float>(lp[c]);
  }
}

void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    double dot = 0;
    for (int64_t c = 0; c < C; ++c) dot += double(dy[r * C + c]) * y[r * C + c];
    for (int64_t c = 0; c < C; ++c)
      dx[r * C + c] = static_cast<float>(y[r * C + c] * (dy[r * C + c] - dot));
  }
}

void logSoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += dy[r * C + c];
    for (int64_t c = 0; c < C; ++c)
      dx[r * C + c] = static_cast<float>(dy[r * C + c] - std::exp(double(y[r * C + c])) * s);
  }
}

void crossEntropyForward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                         const ClassLossOptions& o, float* out) {
  const double eps = o.labelSmoothing;
  std::vector<double> perRow(N, 0.0);
  for (int64_t i = 0; i < N; ++i) {
    if (ignored(labels, i, o)) continue;
    const auto lp = logSoftmaxRow(logits + i * C, C);
    double smooth = 0;
    for (int64_t c = 0; c < C; ++c) smooth -= weightOf(o, c) * lp[c];
    const double nll = -weightOf(o, labels[i]) * lp[labels[i]];
    perRow[i] = (1 - eps) * nll + eps / C * smooth;
  }
  reduce(perRow, o.reduction, normaliser(labels, N, o), out);
}

void crossEntropyBackward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                          const ClassLossOptions& o, const float* gradOut, float* dx) {
  const double eps = o.labelSmoothing, norm = normaliser(labels, N, o);
  for (int64_t i = 0; i < N; ++i) {
    if (ignored(labels, i, o)) {
      for (int64_t c = 0; c < C; ++c) dx[i * C + c] = 0;
      continue;
    }
    const auto lp = logSoftmaxRow(logits + i * C, C);
    const double g = gradOf(gradOut, i, o.reduction, norm);
    const int32_t t = labels[i];
    // d/dx_c of -w_t logp_t = w_t (p_c - [c == t]);
    // d/dx_c of -sum_k w_k logp_k = sum_k w_k p_c - w_c.
    double sumW = 0;
    for (int64_t k = 0; k < C; ++k) sumW += weightOf(o, k);
    for (int64_t c = 0; c < C; ++c) {
      const double p = std::exp(lp[c]);
      const double nll = weightOf(o, t) * (p - (c == t ? 1.0 : 0.0));
      const double smooth = sumW * p - weightOf(o, c);
      dx[i * C + c] = static_cast<float>(g * ((1 - eps) * nll + eps / C * smooth));
    }
  }
}

void nllLossForward(const float* logProbs, const int32_t* labels, int64_t N, int64_t C,
                    const ClassLossOptions& o, float* out) {
  std::vector<double> perRow(N, 0.0);
  for (int64_t i = 0; i < N; ++i)
    if (!ignored(labels, i, o)) perRow[i] = -weightOf(o, labels[i]) * logProbs[i * C + labels[i]];
  reduce(perRow, o.reduction, normaliser(labels, N, o), out);
}

void nllLossBackward(const int32_t* labels, int64_t N, int64_t C, const ClassLossOptions& o,
                     const float* gradOut, float* dx) {
  const double norm = normaliser(labels, N, o);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t c = 0; c < C; ++c)
      dx[i * C + c] = (!ignored(labels, i, o) && c == labels[i])
                          ? static_cast<float>(-weightOf(o, c) * gradOf(gradOut, i, o.reduction, norm))
                          : 0.0f;
}

void mseLossForward(const float* input, const float* target, int64_t n, Reduction reduction,
                    float* out) {
  std::vector<double> perElement(n);
  for (int64_t i = 0; i < n; ++i) {
    const double d = double(input[i]) - target[i];
    perElement[i] = d * d;
  }
  reduce(perElement, reduction, static_cast<double>(n), out);
}

void mseLossBackward(const float* input, const float* target, int64_t n, Reduction reduction,
                     const float* gradOut, float* dx) {
  for (int64_t i = 0; i < n; ++i)
    dx[i] = static_cast<float>(2 * (double(input[i]) - target[i]) *
                               gradOf(gradOut, i, reduction, static_cast<double>(n)));
}

}  // namespace convkit::ref
