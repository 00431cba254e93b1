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
// ldx (default C): the distance between x's rows in floats, >= C: the first C channels of a
// wider [rows, ldx] tensor are normalised (x, and the backward's dx, hold rows * ldx floats;
// y, dy, residual rows * C). accumulate: dx += the gradient. Not in the references.
// `?` arguments may be null (trailing ones omitted). activation: 'none' | 'relu' | 'relu6' |
// 'silu'. saveAffine / affine: 4*C floats (batchnorm.h); silu's backward needs affine (the
// reference takes only beta from it).
#include <cmath>
#include <string>

#include "../kernels/batchnorm.h"
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
  float* y = getFloats(info, 10, op, "y", s.elements).data;
  float* saveMean = getFloats(info, 11, op, "saveMean", s.C).data;
  float* saveInvstd = getFloats(info, 12, op, "saveInvstd", s.C).data;
  float* saveAffine = optionalFloats(info, 13, op, "saveAffine", 4 * s.C);
  const float* residual = optionalFloats(info, 14, op, "residual", s.elements);
  checkResidual(info, op, activation, residual);
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
  float* y = getFloats(info, 9, op, "y", s.elements).data;
  float* saveAffine = optionalFloats(info, 10, op, "saveAffine", 4 * s.C);
  const float* residual = optionalFloats(info, 11, op, "residual", s.elements);
  checkResidual(info, op, activation, residual);
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
  if (kReference) {
    ref::batchNormBackward(s.rows, s.C, x, dy, y, gamma, mean, invstd, training, activation, dx,
                           dgamma, dbeta, affine);
  } else {
    KernelCallScope scope;
    batchNormBackward(s.rows, s.C, x, dy, y, gamma, mean, invstd, training, activation, dx,
                      dgamma, dbeta, affine, s.ldx, accumulate, gOut);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerBatchNorm(Napi::Env env, Napi::Object exports) {
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
}

}  // namespace convkit::binding
