// Softmax, logSoftmax and the losses: row kernels per ISA (isa/common/softmax_impl.h), rows
// split over threads here, reductions accumulated in double per thread.
#include "softmax_xent.h"

#include <cmath>
#include <cstring>

#include "../isa/softmax_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

struct RowKernels {
  decltype(&isa::generic::softmax_row) softmax;
  decltype(&isa::generic::log_softmax_row) logSoftmax;
  decltype(&isa::generic::softmax_backward_row) softmaxBackward;
  decltype(&isa::generic::log_softmax_backward_row) logSoftmaxBackward;
  decltype(&isa::generic::xent_row_forward) xentForward;
  decltype(&isa::generic::xent_row_backward) xentBackward;
};

#define CONVKIT_ROW_KERNELS(NS)                                                            \
  RowKernels {                                                                             \
    NS::softmax_row, NS::log_softmax_row, NS::softmax_backward_row,                        \
        NS::log_softmax_backward_row, NS::xent_row_forward, NS::xent_row_backward          \
  }

RowKernels rowKernels() {
  switch (activeIsa()) {
#if defined(__x86_64__)
    case Isa::avx512:
      return CONVKIT_ROW_KERNELS(isa::avx512);
    case Isa::avx2:
      return CONVKIT_ROW_KERNELS(isa::avx2);
#endif
    default:
      return CONVKIT_ROW_KERNELS(isa::generic);
  }
}

// Threads for `work` elements of cheap streaming work: one thread below ~32K elements,
// where waking a second costs more than it saves.
int threadsFor(int64_t work) { return work < (int64_t(1) << 15) ? 1 : kernelThreads(); }

template <typename Body>
void forRows(int64_t rows, int64_t C, Body body) {
  const int n = threadsFor(rows * C);
#pragma omp parallel for num_threads(n) if (n > 1) schedule(static)
  for (int64_t r = 0; r < rows; ++r) body(r);
}

bool rowIgnored(const int32_t* labels, int64_t i, const ClassLossOptions& o) {
  return static_cast<int64_t>(labels[i]) == o.ignoreIndex;
}

// Sum of the targets' weights over rows not ignored (the 'mean' normaliser).
double targetWeightSum(const int32_t* labels, int64_t N, const ClassLossOptions& o) {
  double total = 0;
  for (int64_t i = 0; i < N; ++i)
    if (!rowIgnored(labels, i, o)) total += o.weight ? o.weight[labels[i]] : 1.0;
  return total;
}

double classWeightSum(const float* w, int64_t C) {
  if (!w) return static_cast<double>(C);
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += w[c];
  return s;
}

// Gradient scale of row i: gradOut[i] for 'none', gradOut[0] / normaliser for 'mean'.
float rowGradScale(const float* gradOut, int64_t i, Reduction r, double normaliser) {
  if (r == Reduction::none) return gradOut[i];
  if (r == Reduction::mean) return static_cast<float>(gradOut[0] / normaliser);
  return gradOut[0];
}

}  // namespace

void softmaxForward(const float* x, float* y, int64_t rows, int64_t C) {
  const auto k = rowKernels().softmax;
  forRows(rows, C, [&](int64_t r) { k(x + r * C, y + r * C, C); });
}

void logSoftmaxForward(const float* x, float* y, int64_t rows, int64_t C) {
  const auto k = rowKernels().logSoftmax;
  forRows(rows, C, [&](int64_t r) { k(x + r * C, y + r * C, C); });
}

void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C) {
  const auto k = rowKernels().softmaxBackward;
  forRows(rows, C, [&](int64_t r) { k(y + r * C, dy + r * C, dx + r * C, C); });
}

void logSoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C) {
  const auto k = rowKernels().logSoftmaxBackward;
  forRows(rows, C, [&](int64_t r) { k(y + r * C, dy + r * C, dx + r * C, C); });
}

void crossEntropyForward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                         const ClassLossOptions& o, float* out) {
  const auto k = rowKernels().xentForward;
  const double eps = o.labelSmoothing;
  const double sumW = classWeightSum(o.weight, C);
  double total = 0;
  const int n = threadsFor(N * C);
#pragma omp parallel for num_threads(n) if (n > 1) schedule(static) reduction(+ : total)
  for (int64_t i = 0; i < N; ++i) {
    double loss = 0;
    if (!rowIgnored(labels, i, o)) {
      const float* x = logits + i * C;
      const int32_t t = labels[i];
      float rowMax, weightedSum;
      const double logSum = k(x, o.weight, C, &rowMax, &weightedSum);
      const double wt = o.weight ? o.weight[t] : 1.0;
      // -logp_t = logSum - (x_t - m)
      loss = (1 - eps) * wt * (logSum - (x[t] - rowMax));
      // -sum_c w_c logp_c = sum_c w_c * logSum - sum_c w_c (x_c - m)
      if (eps != 0) loss += eps / C * (sumW * logSum - weightedSum);
    }
    if (o.reduction == Reduction::none) out[i] = static_cast<float>(loss);
    total += loss;
  }
  if (o.reduction == Reduction::sum) out[0] = static_cast<float>(total);
  if (o.reduction == Reduction::mean)
    out[0] = static_cast<float>(total / targetWeightSum(labels, N, o));
}

void crossEntropyBackward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                          const ClassLossOptions& o, const float* gradOut, float* dx) {
  const auto kf = rowKernels().xentForward;
  const auto kb = rowKernels().xentBackward;
  const double eps = o.labelSmoothing;
  const double normaliser = o.reduction == Reduction::mean ? targetWeightSum(labels, N, o) : 1;
  const double sumW = classWeightSum(o.weight, C);
  forRows(N, C, [&](int64_t i) {
    float* d = dx + i * C;
    if (rowIgnored(labels, i, o)) {
      std::memset(d, 0, sizeof(float) * C);
      return;
    }
    const float* x = logits + i * C;
    const int32_t t = labels[i];
    float rowMax, unused;
    const float logSum = kf(x, nullptr, C, &rowMax, &unused);
    const double g = rowGradScale(gradOut, i, o.reduction, normaliser);
    const double wt = o.weight ? o.weight[t] : 1.0;
    const double a = g * (1 - eps) * wt;  // nll: a * (p_c - [c == t])
    const double b = g * eps / C;         // smoothing: b * (p_c * sum(w) - w_c)
    kb(x, o.weight, C, rowMax, logSum, static_cast<float>(a + b * sumW), static_cast<float>(b), d);
    d[t] -= static_cast<float>(a);
  });
}

void nllLossForward(const float* logProbs, const int32_t* labels, int64_t N, int64_t C,
                    const ClassLossOptions& o, float* out) {
  double total = 0;
  for (int64_t i = 0; i < N; ++i) {
    double loss = 0;
    if (!rowIgnored(labels, i, o)) {
      const int32_t t = labels[i];
      loss = -(o.weight ? o.weight[t] : 1.0) * logProbs[i * C + t];
    }
    if (o.reduction == Reduction::none) out[i] = static_cast<float>(loss);
    total += loss;
  }
  if (o.reduction == Reduction::sum) out[0] = static_cast<float>(total);
  if (o.reduction == Reduction::mean)
    out[0] = static_cast<float>(total / targetWeightSum(labels, N, o));
}

void nllLossBackward(const int32_t* labels, int64_t N, int64_t C, const ClassLossOptions& o,
                     const float* gradOut, float* dx) {
  const double normaliser = o.reduction == Reduction::mean ? targetWeightSum(labels, N, o) : 1;
  std::memset(dx, 0, sizeof(float) * N * C);
  for (int64_t i = 0; i < N; ++i) {
    if (rowIgnored(labels, i, o)) continue;
    const int32_t t = labels[i];
    const double g = rowGradScale(gradOut, i, o.reduction, normaliser);
    dx[i * C + t] = static_cast<float>(-g * (o.weight ? o.weight[t] : 1.0));
  }
}

void mseLossForward(const float* input, const float* target, int64_t n, Reduction reduction,
                    float* out) {
  if (reduction == Reduction::none) {
    const int threads = threadsFor(n);
#pragma omp parallel for simd num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float d = input[i] - target[i];
      out[i] = d * d;
    }
    return;
  }
  double total = 0;
  const int threads = threadsFor(n);
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static) reduction(+ : total)
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(input[i]) - target[i];
    total += d * d;
  }
  // mean of an empty tensor is NaN in PyTorch (0/0).
  out[0] = static_cast<float>(reduction == Reduction::mean ? total / n : total);
}

void mseLossBackward(const float* input, const float* target, int64_t n, Reduction reduction,
                     const float* gradOut, float* dx) {
  const int threads = threadsFor(n);
  if (reduction == Reduction::none) {
#pragma omp parallel for simd num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t i = 0; i < n; ++i) dx[i] = 2.0f * (input[i] - target[i]) * gradOut[i];
    return;
  }
  const float scale =
      static_cast<float>(2.0 * gradOut[0] / (reduction == Reduction::mean ? double(n) : 1.0));
#pragma omp parallel for simd num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = scale * (input[i] - target[i]);
}

}  // namespace convkit
