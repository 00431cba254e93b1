// Batch norm over NHWC rows (rows = N*H*W, C channels) and the scalar references (for tests):
//   batchNormForwardTraining(rows, C, x, gamma?, beta?, runningMean?, runningVar?, factor, eps,
//                            activation, y, saveMean, saveInvstd, saveAffine?, residual?)
//   batchNormForwardEval(rows, C, x, gamma?, beta?, runningMean, runningVar, eps, activation, y,
//                        saveAffine?, residual?)
//   batchNormBackward(rows, C, x, dy, y?, gamma?, mean, invstd, training, activation, dx,
//                     dgamma?, dbeta?, affine?)
//   ... and, trailing: forward (either): ldx?; training forward: ldx?, stats? (Float64Array
//   [count, mean[C], m2[C]], as conv2dForward's `stats` sums them: x is not read for them);
//   backward: ldx?, accumulate?, gOut? (rows x C: receives g, dy masked by the activation)
//   batchNormStatistics(rows, C, x, stats): x's batch statistics alone, into stats (Float64Array
//   [count, mean[C], m2[C]], the training forward's `stats` format), summed as it sums them.
//   batchNormExcitePool / Apply / BackwardSums / Backward: a norm whose output a
//   squeeze-and-excitation scales (kernels/batchnorm_excite.h; signatures below).
//   The forwards' y may be null when saveAffine is not: the affine for those.
// ldx (default C): the distance between x's rows in floats, >= C: the first C channels of a
// wider [rows, ldx] tensor are normalised (x, and the backward's dx, hold rows * ldx floats;
// y, dy, residual rows * C). accumulate: dx += the gradient. Not in the references.
// `?` arguments may be null (trailing ones omitted). activation: 'none' | 'relu' | 'relu6' |
// 'silu'. saveAffine / affine: 4*C floats (batchnorm.h); silu's backward needs affine (the
// reference takes only beta from it).
#include <cmath>
#include <string>

#include "../kernels/batchnorm.h"
#include "../kernels/batchnorm_excite.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

float* optionalFloats(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                      int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return getFloats(info, i, op, name, length).data;
}

BnActivation getActivation(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const std::string name = getString(info, i, op, "activation");
  if (name == "none") return BnActivation::none;
  if (name == "relu") return BnActivation::relu;
  if (name == "relu6") return BnActivation::relu6;
  if (name == "silu") return BnActivation::silu;
  throwRangeError(info.Env(), op,
                  "unknown activation '" + name + "' (expected 'none', 'relu', 'relu6' or 'silu')");
}

double getEps(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const double eps = getNumber(info, i, op, "eps");
  if (!(eps >= 0) || !std::isfinite(eps))
    throwRangeError(info.Env(), op, "eps must be a finite number >= 0, got " + std::to_string(eps));
  return eps;
}

// A residual goes with none / relu / relu6 only: silu's backward recomputes its input from x,
// which a residual would change.
void checkResidual(const Napi::CallbackInfo& info, const char* op, BnActivation activation,
                   const float* residual) {
  if (residual && activation == BnActivation::silu)
    throwRangeError(info.Env(), op, "a residual cannot be fused with activation 'silu'");
}

// y may be null when saveAffine is not (the forward then only computes the affine, for
// batchNormExcite*); the references always write y.
void checkOutput(const Napi::CallbackInfo& info, const char* op, bool reference, const float* y,
                 const float* saveAffine) {
  if (!y && (reference || !saveAffine))
    throwTypeError(info.Env(), op,
                   reference ? "y must be a Float32Array" : "y and saveAffine cannot both be null");
}

struct Sizes {
  int64_t rows, C, elements;
  int64_t ldx, xElements;  // x's row stride (>= C) and length
};

// The optional row stride of x at argument i (default C), checked; the references take none.
void getStride(const Napi::CallbackInfo& info, size_t i, const char* op, bool reference, Sizes& s) {
  s.ldx = s.C;
  if (i < info.Length() && !info[i].IsNull() && !info[i].IsUndefined()) {
    s.ldx = getIndex(info, i, op, "ldx");
    if (s.ldx < s.C)
      throwRangeError(info.Env(), op,
                      "ldx must be >= C (" + std::to_string(s.C) + "), got " + std::to_string(s.ldx));
    if (reference && s.ldx != s.C)
      throwRangeError(info.Env(), op, "the reference takes contiguous rows only (ldx == C)");
  }
  s.xElements = checkedMul(info.Env(), op, s.rows, s.ldx);
}

Sizes getSizes(const Napi::CallbackInfo& info, const char* op) {
  Sizes s;
  s.rows = getIndex(info, 0, op, "rows");
  s.C = getIndex(info, 1, op, "C");
  s.elements = checkedMul(info.Env(), op, s.rows, s.C);
  return s;
}

template <bool kReference>
Napi::Value ForwardTraining(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "batchNormForwardTrainingReference" : "batchNormForwardTraining";
  requireArgs(info, op, 13);
  Sizes s = getSizes(info, op);
  getStride(info, 15, op, kReference, s);
  const float* x = getFloats(info, 2, op, "x", s.xElements).data;
  const float* gamma = optionalFloats(info, 3, op, "gamma", s.C);
  const float* beta = optionalFloats(info, 4, op, "beta", s.C);
  float* runningMean = optionalFloats(info, 5, op, "runningMean", s.C);
  float* runningVar = optionalFloats(info, 6, op, "runningVar", s.C);
  const double factor = getNumber(info, 7, op, "momentum");
  if (!(factor >= 0 && factor <= 1))
    throwRangeError(info.Env(), op, "momentum must be in [0, 1], got " + std::to_string(factor));
  const double eps = getEps(info, 8, op);
  const BnActivation activation = getActivation(info, 9, op);
  float* y = optionalFloats(info, 10, op, "y", s.elements);
  float* saveMean = getFloats(info, 11, op, "saveMean", s.C).data;
  float* saveInvstd = getFloats(info, 12, op, "saveInvstd", s.C).data;
  float* saveAffine = optionalFloats(info, 13, op, "saveAffine", 4 * s.C);
  const float* residual = optionalFloats(info, 14, op, "residual", s.elements);
  checkResidual(info, op, activation, residual);
  checkOutput(info, op, kReference, y, saveAffine);
  if (s.rows < 2 && s.C > 0)
    throwRangeError(info.Env(), op,
                    "expected more than 1 value per channel when training, got " +
                        std::to_string(s.rows) + " (N*H*W) values for each of " +
                        std::to_string(s.C) + " channels");
  const double* given = nullptr;
  if (info.Length() > 16 && !info[16].IsNull() && !info[16].IsUndefined()) {
    if (kReference) throwRangeError(info.Env(), op, "the reference takes no given statistics");
    given = getDoubles(info, 16, op, "stats", 1 + 2 * s.C);
    if (given[0] != double(s.rows))
      throwRangeError(info.Env(), op,
                      "stats were summed over " + std::to_string(given[0]) + " rows, x has " +
                          std::to_string(s.rows));
  }
  if (kReference) {
    ref::batchNormForwardTraining(s.rows, s.C, x, gamma, beta, runningMean, runningVar, factor,
                                  eps, activation, y, saveMean, saveInvstd, residual);
  } else {
    KernelCallScope scope;
    batchNormForwardTraining(s.rows, s.C, x, gamma, beta, runningMean, runningVar, factor, eps,
                             activation, y, saveMean, saveInvstd, saveAffine, residual, s.ldx,
                             given);
  }
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value ForwardEval(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "batchNormForwardEvalReference" : "batchNormForwardEval";
  requireArgs(info, op, 10);
  Sizes s = getSizes(info, op);
  getStride(info, 12, op, kReference, s);
  const float* x = getFloats(info, 2, op, "x", s.xElements).data;
  const float* gamma = optionalFloats(info, 3, op, "gamma", s.C);
  const float* beta = optionalFloats(info, 4, op, "beta", s.C);
  const float* runningMean = getFloats(info, 5, op, "runningMean", s.C).data;
  const float* runningVar = getFloats(info, 6, op, "runningVar", s.C).data;
  const double eps = getEps(info, 7, op);
  const BnActivation activation = getActivation(info, 8, op);
  float* y = optionalFloats(info, 9, op, "y", s.elements);
  float* saveAffine = optionalFloats(info, 10, op, "saveAffine", 4 * s.C);
  const float* residual = optionalFloats(info, 11, op, "residual", s.elements);
  checkResidual(info, op, activation, residual);
  checkOutput(info, op, kReference, y, saveAffine);
  if (kReference) {
    ref::batchNormForwardEval(s.rows, s.C, x, gamma, beta, runningMean, runningVar, eps,
                              activation, y, residual);
  } else {
    KernelCallScope scope;
    batchNormForwardEval(s.rows, s.C, x, gamma, beta, runningMean, runningVar, eps, activation,
                         y, saveAffine, residual, s.ldx);
  }
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "batchNormBackwardReference" : "batchNormBackward";
  requireArgs(info, op, 13);
  Sizes s = getSizes(info, op);
  getStride(info, 14, op, kReference, s);
  const bool accumulate = info.Length() > 15 && !info[15].IsUndefined() && !info[15].IsNull() &&
                          getBool(info, 15, op, "accumulate");
  if (kReference && accumulate)
    throwRangeError(info.Env(), op, "the reference does not accumulate");
  const float* x = getFloats(info, 2, op, "x", s.xElements).data;
  const float* dy = getFloats(info, 3, op, "dy", s.elements).data;
  const float* y = optionalFloats(info, 4, op, "y", s.elements);
  const float* gamma = optionalFloats(info, 5, op, "gamma", s.C);
  const float* mean = getFloats(info, 6, op, "mean", s.C).data;
  const float* invstd = getFloats(info, 7, op, "invstd", s.C).data;
  const bool training = getBool(info, 8, op, "training");
  const BnActivation activation = getActivation(info, 9, op);
  float* dx = getFloats(info, 10, op, "dx", s.xElements).data;
  float* dgamma = optionalFloats(info, 11, op, "dgamma", s.C);
  float* dbeta = optionalFloats(info, 12, op, "dbeta", s.C);
  const float* affine = optionalFloats(info, 13, op, "affine", 4 * s.C);
  if (activation == BnActivation::silu && affine == nullptr)
    throwTypeError(info.Env(), op, "the fused silu's backward needs the forward's saveAffine, got null");
  if ((activation == BnActivation::relu || activation == BnActivation::relu6) && y == nullptr &&
      (kReference || affine == nullptr))
    throwTypeError(info.Env(), op,
                   "the fused activation's backward needs the forward output y (or, except in "
                   "the reference, the forward's saveAffine), got null");
  float* gOut = optionalFloats(info, 16, op, "gOut", s.elements);
  if (gOut && (kReference || activation == BnActivation::none))
    throwRangeError(info.Env(), op,
                    "gOut needs a fused activation (and is not in the reference)");
  // sums: the first pass's, taken by dy's producer, which stored g in dy (batchnorm.h).
  const double* givenSums =
      info.Length() > 17 && !info[17].IsNull() && !info[17].IsUndefined()
          ? getDoubles(info, 17, op, "sums", checkedMul(info.Env(), op, 2, s.C))
          : nullptr;
  if (givenSums && (kReference || gOut))
    throwRangeError(info.Env(), op, "sums cannot be given with gOut or to the reference");
  if (kReference) {
    ref::batchNormBackward(s.rows, s.C, x, dy, y, gamma, mean, invstd, training, activation, dx,
                           dgamma, dbeta, affine);
  } else {
    KernelCallScope scope;
    batchNormBackward(s.rows, s.C, x, dy, y, gamma, mean, invstd, training, activation, dx,
                      dgamma, dbeta, affine, s.ldx, accumulate, gOut, givenSums);
  }
  return info.Env().Undefined();
}

// The squeeze-and-excitation forms (kernels/batchnorm_excite.h): x is N x HW rows of C.
struct ExciteSizes {
  int64_t N, HW, C, elements, perSample;  // perSample: N * C
};

ExciteSizes getExciteSizes(const Napi::CallbackInfo& info, const char* op) {
  ExciteSizes s;
  s.N = getIndex(info, 0, op, "N");
  s.HW = getIndex(info, 1, op, "HW");
  s.C = getIndex(info, 2, op, "C");
  s.elements = checkedMul(info.Env(), op, checkedMul(info.Env(), op, s.N, s.HW), s.C);
  s.perSample = checkedMul(info.Env(), op, s.N, s.C);
  return s;
}

// batchNormExcitePool(N, HW, C, x, affine, activation, pooled)
Napi::Value ExcitePool(const Napi::CallbackInfo& info) {
  const char* op = "batchNormExcitePool";
  requireArgs(info, op, 7);
  const ExciteSizes s = getExciteSizes(info, op);
  const float* x = getFloats(info, 3, op, "x", s.elements).data;
  const float* affine = getFloats(info, 4, op, "affine", 4 * s.C).data;
  const BnActivation activation = getActivation(info, 5, op);
  float* pooled = getFloats(info, 6, op, "pooled", s.perSample).data;
  KernelCallScope scope;
  batchNormExcitePool(s.N, s.HW, s.C, x, affine, activation, pooled);
  return info.Env().Undefined();
}

// batchNormExciteApply(N, HW, C, x, affine, activation, s, out)
Napi::Value ExciteApply(const Napi::CallbackInfo& info) {
  const char* op = "batchNormExciteApply";
  requireArgs(info, op, 8);
  const ExciteSizes s = getExciteSizes(info, op);
  const float* x = getFloats(info, 3, op, "x", s.elements).data;
  const float* affine = getFloats(info, 4, op, "affine", 4 * s.C).data;
  const BnActivation activation = getActivation(info, 5, op);
  const float* scale = getFloats(info, 6, op, "s", s.perSample).data;
  float* out = getFloats(info, 7, op, "out", s.elements).data;
  KernelCallScope scope;
  batchNormExciteApply(s.N, s.HW, s.C, x, affine, activation, scale, out);
  return info.Env().Undefined();
}

// batchNormExciteBackwardSums(N, HW, C, x, dOut, mean, affine, activation, sums)
Napi::Value ExciteBackwardSums(const Napi::CallbackInfo& info) {
  const char* op = "batchNormExciteBackwardSums";
  requireArgs(info, op, 9);
  const ExciteSizes s = getExciteSizes(info, op);
  const float* x = getFloats(info, 3, op, "x", s.elements).data;
  const float* dOut = getFloats(info, 4, op, "dOut", s.elements).data;
  const float* mean = getFloats(info, 5, op, "mean", s.C).data;
  const float* affine = getFloats(info, 6, op, "affine", 4 * s.C).data;
  const BnActivation activation = getActivation(info, 7, op);
  float* sums = getFloats(info, 8, op, "sums", 5 * s.perSample).data;
  KernelCallScope scope;
  batchNormExciteBackwardSums(s.N, s.HW, s.C, x, dOut, mean, affine, activation, sums);
  return info.Env().Undefined();
}

// batchNormExciteBackward(N, HW, C, x, dOut, gamma?, mean, invstd, affine, activation, s,
//                         poolGrad, sums, training, dx, dgamma?, dbeta?)
Napi::Value ExciteBackward(const Napi::CallbackInfo& info) {
  const char* op = "batchNormExciteBackward";
  requireArgs(info, op, 15);
  const ExciteSizes s = getExciteSizes(info, op);
  const float* x = getFloats(info, 3, op, "x", s.elements).data;
  const float* dOut = getFloats(info, 4, op, "dOut", s.elements).data;
  const float* gamma = optionalFloats(info, 5, op, "gamma", s.C);
  const float* mean = getFloats(info, 6, op, "mean", s.C).data;
  const float* invstd = getFloats(info, 7, op, "invstd", s.C).data;
  const float* affine = getFloats(info, 8, op, "affine", 4 * s.C).data;
  const BnActivation activation = getActivation(info, 9, op);
  const float* scale = getFloats(info, 10, op, "s", s.perSample).data;
  const float* poolGrad = getFloats(info, 11, op, "poolGrad", s.perSample).data;
  const float* sums = getFloats(info, 12, op, "sums", 5 * s.perSample).data;
  const bool training = getBool(info, 13, op, "training");
  float* dx = getFloats(info, 14, op, "dx", s.elements).data;
  float* dgamma = optionalFloats(info, 15, op, "dgamma", s.C);
  float* dbeta = optionalFloats(info, 16, op, "dbeta", s.C);
  KernelCallScope scope;
  batchNormExciteBackward(s.N, s.HW, s.C, x, dOut, gamma, mean, invstd, affine, activation,
                          scale, poolGrad, sums, training, dx, dgamma, dbeta);
  return info.Env().Undefined();
}

// Statistics of a tensor that norms read later, summed once (a DenseNet block's features: every
// later layer's norm1 reads them, so their statistics are summed when they are appended).
Napi::Value Statistics(const Napi::CallbackInfo& info) {
  const char* op = "batchNormStatistics";
  requireArgs(info, op, 4);
  const Sizes s = getSizes(info, op);
  const float* x = getFloats(info, 2, op, "x", s.elements).data;
  double* out = getDoubles(info, 3, op, "stats", 1 + 2 * s.C);
  KernelCallScope scope;
  BatchStats stats(s.C, kernelThreads());
  stats.addAll(x, s.rows);
  stats.merge(out);
  return info.Env().Undefined();
}

}  // namespace

void registerBatchNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("batchNormStatistics", Napi::Function::New(env, Statistics, "batchNormStatistics"));
  exports.Set("batchNormForwardTraining",
              Napi::Function::New(env, ForwardTraining<false>, "batchNormForwardTraining"));
  exports.Set("batchNormForwardTrainingReference",
              Napi::Function::New(env, ForwardTraining<true>, "batchNormForwardTrainingReference"));
  exports.Set("batchNormForwardEval",
              Napi::Function::New(env, ForwardEval<false>, "batchNormForwardEval"));
  exports.Set("batchNormForwardEvalReference",
              Napi::Function::New(env, ForwardEval<true>, "batchNormForwardEvalReference"));
  exports.Set("batchNormBackward", Napi::Function::New(env, Backward<false>, "batchNormBackward"));
  exports.Set("batchNormBackwardReference",
              Napi::Function::New(env, Backward<true>, "batchNormBackwardReference"));
  exports.Set("batchNormExcitePool", Napi::Function::New(env, ExcitePool, "batchNormExcitePool"));
  exports.Set("batchNormExciteApply",
              Napi::Function::New(env, ExciteApply, "batchNormExciteApply"));
  exports.Set("batchNormExciteBackwardSums",
              Napi::Function::New(env, ExciteBackwardSums, "batchNormExciteBackwardSums"));
  exports.Set("batchNormExciteBackward",
              Napi::Function::New(env, ExciteBackward, "batchNormExciteBackward"));
}

}  // namespace convkit::binding
