// Fused optimizer steps, in place on Float32Arrays:
//   sgdStep(param, grad, momentumBuffer|null, n, lr, momentum, dampening, weightDecay,
//           nesterov, maximize, step)
//   adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq|null, n, lr, beta1, beta2, eps,
//            weightDecay, amsgrad, maximize, decoupled, step)    (decoupled = AdamW)
// step counts this update (1 for the first). Each has a *Reference twin.
#include <cmath>

#include "../kernels/optim.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

double getNonNegative(const Napi::CallbackInfo& info, size_t i, const char* op,
                      const char* name) {
  const double v = getNumber(info, i, op, name);
  if (!(v >= 0.0) || !std::isfinite(v))
    throwRangeError(info.Env(), op,
                    std::string("expected a finite number >= 0 for ") + name +
                        " but received " + std::to_string(v));
  return v;
}

double getUnitInterval(const Napi::CallbackInfo& info, size_t i, const char* op,
                       const char* name) {
  const double v = getNumber(info, i, op, name);
  if (!(v >= 0.0 && v < 1.0))
    throwRangeError(info.Env(), op,
                    std::string("expected ") + name + " in [0, 1) but received " +
                        std::to_string(v));
  return v;
}

template <bool kReference>
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "sgdStepReference" : "sgdStep";
  requireArgs(info, op, 11);
  const int64_t n = getIndex(info, 3, op, "n");
  SgdOptions o;
  o.lr = getNonNegative(info, 4, op, "lr");
  o.momentum = getNonNegative(info, 5, op, "momentum");
  o.dampening = getNumber(info, 6, op, "dampening");
  if (!std::isfinite(o.dampening))
    throwRangeError(info.Env(), op, "expected a finite number for dampening");
  o.weightDecay = getNonNegative(info, 7, op, "weightDecay");
  o.nesterov = getBool(info, 8, op, "nesterov");
  o.maximize = getBool(info, 9, op, "maximize");
  const int64_t step = getIntIn(info, 10, op, "step", 1, int64_t(1) << 53);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throwRangeError(info.Env(), op, "Nesterov momentum requires a momentum and zero dampening");
  float* p = getFloats(info, 0, op, "param", n).data;
  const float* g = getFloats(info, 1, op, "grad", n).data;
  float* buf = nullptr;
  if (o.momentum != 0) buf = getFloats(info, 2, op, "momentumBuffer", n).data;
  KernelCallScope scope;
  (kReference ? ref::sgdStep : sgdStep)(p, g, buf, n, o, step);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "adamStepReference" : "adamStep";
  requireArgs(info, op, 15);
  const int64_t n = getIndex(info, 5, op, "n");
  AdamOptions o;
  o.lr = getNonNegative(info, 6, op, "lr");
  o.beta1 = getUnitInterval(info, 7, op, "beta1");
  o.beta2 = getUnitInterval(info, 8, op, "beta2");
  o.eps = getNonNegative(info, 9, op, "eps");
  o.weightDecay = getNonNegative(info, 10, op, "weightDecay");
  o.amsgrad = getBool(info, 11, op, "amsgrad");
  o.maximize = getBool(info, 12, op, "maximize");
  o.decoupled = getBool(info, 13, op, "decoupled");
  const int64_t step = getIntIn(info, 14, op, "step", 1, int64_t(1) << 53);
  float* p = getFloats(info, 0, op, "param", n).data;
  const float* g = getFloats(info, 1, op, "grad", n).data;
  float* m = getFloats(info, 2, op, "expAvg", n).data;
  float* v = getFloats(info, 3, op, "expAvgSq", n).data;
  float* vmax = o.amsgrad ? getFloats(info, 4, op, "maxExpAvgSq", n).data : nullptr;
  KernelCallScope scope;
  (kReference ? ref::adamStep : adamStep)(p, g, m, v, vmax, n, o, step);
  return info.Env().Undefined();
}

// rmspropStep(param, grad, squareAvg, gradAvg|null, momentumBuffer|null, n, lr, alpha, eps,
//             weightDecay, momentum, centered, maximize)
template <bool kReference>
Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "rmspropStepReference" : "rmspropStep";
  requireArgs(info, op, 13);
  const int64_t n = getIndex(info, 5, op, "n");
  RmspropOptions o;
  o.lr = getNonNegative(info, 6, op, "lr");
  o.alpha = getNonNegative(info, 7, op, "alpha");
  o.eps = getNonNegative(info, 8, op, "eps");
  o.weightDecay = getNonNegative(info, 9, op, "weightDecay");
  o.momentum = getNonNegative(info, 10, op, "momentum");
  o.centered = getBool(info, 11, op, "centered");
  o.maximize = getBool(info, 12, op, "maximize");
  float* p = getFloats(info, 0, op, "param", n).data;
  const float* g = getFloats(info, 1, op, "grad", n).data;
  float* sq = getFloats(info, 2, op, "squareAvg", n).data;
  float* ga = o.centered ? getFloats(info, 3, op, "gradAvg", n).data : nullptr;
  float* buf = o.momentum > 0 ? getFloats(info, 4, op, "momentumBuffer", n).data : nullptr;
  KernelCallScope scope;
  (kReference ? ref::rmspropStep : rmspropStep)(p, g, sq, ga, buf, n, o);
  return info.Env().Undefined();
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("rmspropStep", Napi::Function::New(env, RmspropStep<false>, "rmspropStep"));
  exports.Set("rmspropStepReference",
              Napi::Function::New(env, RmspropStep<true>, "rmspropStepReference"));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep<false>, "sgdStep"));
  exports.Set("sgdStepReference", Napi::Function::New(env, SgdStep<true>, "sgdStepReference"));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep<false>, "adamStep"));
  exports.Set("adamStepReference", Napi::Function::New(env, AdamStep<true>, "adamStepReference"));
}

}  // namespace convkit::binding
