// Softmax and logSoftmax over the last axis, and the classification / regression losses
// (cross-entropy from logits, nll from log-probabilities, mse), forward and backward.
// Matrices are row-major [rows, C] (classes last). Semantics are PyTorch 1.13's.
#pragma once

#include <cstdint>

namespace convkit {

enum class Reduction : int { none = 0, mean = 1, sum = 2 };

struct ClassLossOptions {
  const float* weight = nullptr;  // per-class weights, length C (nullptr: all ones)
  int64_t ignoreIndex = -100;     // rows with this label add nothing and get zero gradient
  float labelSmoothing = 0.0f;    // cross-entropy only, in [0, 1]
  Reduction reduction = Reduction::mean;
};

void softmaxForward(const float* x, float* y, int64_t rows, int64_t C);
void logSoftmaxForward(const float* x, float* y, int64_t rows, int64_t C);
// y is the forward output; dy the gradient w.r.t. y.
void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C);
void logSoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C);

// Labels are trusted to lie in [0, C) or equal ignoreIndex (the binding checks).
// out: N values for Reduction::none, else 1. gradOut: N values for none, else 1.
// loss = (1 - eps) * nll + eps / C * sum_c w_c * (-logp_c); 'mean' divides both terms by the
// sum of the targets' weights (0/0 = NaN when every row is ignored, as PyTorch).
void crossEntropyForward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                         const ClassLossOptions& options, float* out);
void crossEntropyBackward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                          const ClassLossOptions& options, const float* gradOut, float* dx);
void nllLossForward(const float* logProbs, const int32_t* labels, int64_t N, int64_t C,
                    const ClassLossOptions& options, float* out);
void nllLossBackward(const int32_t* labels, int64_t N, int64_t C, const ClassLossOptions& options,
                     const float* gradOut, float* dx);
void mseLossForward(const float* input, const float* target, int64_t n, Reduction reduction,
                    float* out);
void mseLossBackward(const float* input, const float* target, int64_t n, Reduction reduction,
                     const float* gradOut, float* dx);

namespace ref {
void softmaxForward(const float* x, float* y, int64_t rows, int64_t C);
void logSoftmaxForward(const float* x, float* y, int64_t rows, int64_t C);
void softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C);
void logSoftmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t C);
void crossEntropyForward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                         const ClassLossOptions& options, float* out);
void crossEntropyBackward(const float* logits, const int32_t* labels, int64_t N, int64_t C,
                          const ClassLossOptions& options, const float* gradOut, float* dx);
void nllLossForward(const float* logProbs, const int32_t* labels, int64_t N, int64_t C,
                    const ClassLossOptions& options, float* out);
void nllLossBackward(const int32_t* labels, int64_t N, int64_t C, const ClassLossOptions& options,
                     const float* gradOut, float* dx);
void mseLossForward(const float* input, const float* target, int64_t n, Reduction reduction,
                    float* out);
void mseLossBackward(const float* input, const float* target, int64_t n, Reduction reduction,
                     const float* gradOut, float* dx);
}  // namespace ref

}  // namespace convkit
