// Batch normalization over NHWC activations, seen as `rows` = N*H*W rows of C channels
// (channels innermost: per-channel statistics are vector accumulations over rows).
// Semantics are torch.nn.functional.batch_norm's; an optional ReLU / ReLU6 is fused after it.
// ldx (0: C): the distance between x's rows, and dx's, in floats (>= C): the first C channels
// of a wider tensor are normalised (a DenseNet block's shared feature buffer); y, dy and
// residual are C wide. accumulate (backward): dx += the gradient instead of dx = it.
// gamma/beta may be null (affine=false: gamma 1, beta 0); running stats may be null
// (track_running_stats=false). Arguments are trusted: the binding validates them.
#pragma once

#include <cstdint>
#include <vector>

namespace convkit {

// silu (x * sigmoid(x), EfficientNet's) has no mask: its backward needs the pre-activation,
// so it takes the forward's saveAffine and has no y-based form.
enum class BnActivation : int { none = 0, relu = 1, relu6 = 2, silu = 3 };

// Training: mean and biased variance of the batch normalize x; saveMean / saveInvstd
// (length C) receive mean and 1/sqrt(var + eps) for the backward. When running stats are
// given: running = (1 - factor) * running + factor * batch, with the UNBIASED variance
// (var * rows / (rows - 1)). factor = momentum, or 1/numBatchesTracked for momentum=None.
// Requires rows >= 2 (the binding enforces it, as PyTorch does).
// Statistics are exact to float rounding for any mean: each block of rows is summed in float
// shifted by the mean so far (the first row for the first block), and blocks / threads are
// merged with Chan's formula in double. Outputs of 8 MiB and more use non-temporal stores.
// saveAffine (4*C floats, may be null) receives the per-channel floats the output was computed
// with, so that the backward can recompute the activation's mask from x instead of reading y.
// residual (rows x C, may be null) is added before the activation: y = act(bn(x) + residual),
// a ResNet block's tail in one pass (its backward masks by y; the mask is not recomputable).
// y may be null (then saveAffine may not): statistics, running stats and saveAffine only.
// given (may be null): the batch statistics of x already summed (a BatchStats' merge, where x
// was produced): count (== rows), mean[C], m2[C]; the forward then reads x once, not twice.
void batchNormForwardTraining(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float* runningMean, float* runningVar,
                              double factor, double eps, BnActivation activation, float* y,
                              float* saveMean, float* saveInvstd, float* saveAffine = nullptr,
                              const float* residual = nullptr, int64_t ldx = 0,
                              const double* given = nullptr);

// Per-channel batch statistics summed where the rows are produced (a convolution's output,
// chunk by chunk while it is in the caches), as the training forward sums them: each thread
// adds its row blocks to its own part (same kernel, same blocking and Chan merges), and
// merge() combines the parts into count, mean[C], m2[C] for batchNormForwardTraining's `given`.
class BatchStats {
 public:
  // How much output (floats) a producer writes before adding it: ~256 KiB, still in L2.
  static constexpr int64_t kChunkFloats = int64_t(64) << 10;

  BatchStats(int64_t C, int parts);
  // Rows [0, rows) of x (row stride ldx, 0: C) into part `part` (one per thread).
  void add(int part, const float* x, int64_t rows, int64_t ldx = 0);
  // All rows of a contiguous x, split over the threads as the forward splits them.
  void addAll(const float* x, int64_t rows);
  // 1 + 2C doubles: count, mean[C], m2[C].
  void merge(double* out) const;
  int parts() const { return parts_; }

 private:
  int64_t C_;
  int parts_;
  std::vector<double> part_;    // parts x (count, mean[C], m2[C])
  std::vector<float> scratch_;  // parts x 3C: the stats kernel's
};

// Eval: y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta, then the activation.
// y may be null: saveAffine only.
void batchNormForwardEval(int64_t rows, int64_t C, const float* x, const float* gamma,
                          const float* beta, const float* runningMean, const float* runningVar,
                          double eps, BnActivation activation, float* y,
                          float* saveAffine = nullptr, const float* residual = nullptr,
                          int64_t ldx = 0);

// Backward. mean / invstd: saveMean / saveInvstd of the training forward, or (training=false)
// the running mean and 1/sqrt(runningVar + eps) used by the eval forward.
// With a fused activation, dy is first masked where the forward's activation was flat (relu:
// y > 0; relu6: 0 < y < 6): by y (the forward OUTPUT), or, when `affine` (the forward's
// saveAffine) is given, by the pre-activation recomputed from x, which reads one tensor less.
// silu multiplies dy by silu'(z) of the recomputed pre-activation z: affine is required.
// y is ignored (may be null) without an activation or with affine.
// dgamma / dbeta may be null (not needed, or affine=false). Two passes over memory:
// per-channel sums of g and g*(x - mean), then dx.
// gOut (rows x C, may be null; with an activation): also receives g, dy masked by the
// activation (the gradient a fused residual gets), in the first pass; the second reads it.
// givenSums (may be null): the first pass's sums, sum g [C] then sum g * (x - mean) [C], taken
// by whoever produced dy (depthwise.h's DepthwiseNormGradient), which then also replaced dy by
// g: only the second pass runs, reading g from dy (gOut must be null).
void batchNormBackward(int64_t rows, int64_t C, const float* x, const float* dy, const float* y,
                       const float* gamma, const float* mean, const float* invstd,
                       bool training, BnActivation activation, float* dx, float* dgamma,
                       float* dbeta, const float* affine = nullptr, int64_t ldx = 0,
                       bool accumulate = false, float* gOut = nullptr,
                       const double* givenSums = nullptr);

namespace ref {
// Naive loops in double: two-pass mean / variance, the textbook backward.
void batchNormForwardTraining(int64_t rows, int64_t C, const float* x, const float* gamma,
                              const float* beta, float* runningMean, float* runningVar,
                              double factor, double eps, BnActivation activation, float* y,
                              float* saveMean, float* saveInvstd, const float* residual = nullptr);
void batchNormForwardEval(int64_t rows, int64_t C, const float* x, const float* gamma,
                          const float* beta, const float* runningMean, const float* runningVar,
                          double eps, BnActivation activation, float* y,
                          const float* residual = nullptr);
// silu: z = (x - mean) * invstd * gamma + beta in double, beta taken from affine's shift part.
void batchNormBackward(int64_t rows, int64_t C, const float* x, const float* dy, const float* y,
                       const float* gamma, const float* mean, const float* invstd,
                       bool training, BnActivation activation, float* dx, float* dgamma,
                       float* dbeta, const float* affine = nullptr);
}  // namespace ref

}  // namespace convkit
