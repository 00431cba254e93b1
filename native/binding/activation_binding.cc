// activationForward(kind, param, n, x, y), activationBackward(kind, param, n, x, dy, dx)
// and their scalar references (for tests). kind: relu | relu6 | leakyRelu | sigmoid | tanh |
// silu | hardswish | hardsigmoid | gelu | geluTanh; param: leakyRelu's negative slope.
#include <cmath>

#include "../kernels/activation.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

ActivationKind getKind(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const std::string name = getString(info, i, op, "kind");
  ActivationKind kind;
  if (!parseActivationKind(name.c_str(), &kind))
    throwRangeError(info.Env(), op,
                    "unknown activation '" + name +
                        "' (expected relu, relu6, leakyRelu, sigmoid, tanh, silu, hardswish, "
                        "hardsigmoid, gelu or geluTanh)");
  return kind;
}

float getParam(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const double param = getNumber(info, i, op, "param");
  if (!std::isfinite(param))
    throwRangeError(info.Env(), op, "param must be finite, got " + std::to_string(param));
  return static_cast<float>(param);
}

template <bool kReference>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "activationForwardReference" : "activationForward";
  requireArgs(info, op, 5);
  const ActivationKind kind = getKind(info, 0, op);
  const float param = getParam(info, 1, op);
  const int64_t n = getIndex(info, 2, op, "n");
  const FloatView x = getFloats(info, 3, op, "x", n);
  const FloatView y = getFloats(info, 4, op, "y", n);
  if (kReference) {
    ref::activationForward(kind, param, x.data, y.data, n);
  } else {
    KernelCallScope scope;
    activationForward(kind, param, x.data, y.data, n);
  }
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value Backward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "activationBackwardReference" : "activationBackward";
  requireArgs(info, op, 6);
  const ActivationKind kind = getKind(info, 0, op);
  const float param = getParam(info, 1, op);
  const int64_t n = getIndex(info, 2, op, "n");
  const FloatView x = getFloats(info, 3, op, "x", n);
  const FloatView dy = getFloats(info, 4, op, "dy", n);
  const FloatView dx = getFloats(info, 5, op, "dx", n);
  if (kReference) {
    ref::activationBackward(kind, param, x.data, dy.data, dx.data, n);
  } else {
    KernelCallScope scope;
    activationBackward(kind, param, x.data, dy.data, dx.data, n);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerActivation(Napi::Env env, Napi::Object exports) {
  exports.Set("activationForward", Napi::Function::New(env, Forward<false>, "activationForward"));
  exports.Set("activationForwardReference",
              Napi::Function::New(env, Forward<true>, "activationForwardReference"));
  exports.Set("activationBackward",
              Napi::Function::New(env, Backward<false>, "activationBackward"));
  exports.Set("activationBackwardReference",
              Napi::Function::New(env, Backward<true>, "activationBackwardReference"));
}

}  // namespace convkit::binding
