// linearForward(x, weight, bias | null, y, N, in, out) and
// linearBackward(x, weight, dy, dx | null, dW | null, db | null, N, in, out, accumulate),
// plus their *Reference twins (scalar kernels, for tests).
#include "../kernels/linear.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

// A Float32Array of at least minLength elements, or nullptr for null / undefined.
float* optionalFloats(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                      int64_t minLength) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return getFloats(info, i, op, name, minLength).data;
}

template <bool kReference>
Napi::Value LinearForward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "linearForwardReference" : "linearForward";
  Napi::Env env = info.Env();
  requireArgs(info, op, 7);
  const int64_t N = getIndex(info, 4, op, "N"), in = getIndex(info, 5, op, "in"),
                out = getIndex(info, 6, op, "out");
  const float* x = getFloats(info, 0, op, "x", checkedMul(env, op, N, in)).data;
  const float* w = getFloats(info, 1, op, "weight", checkedMul(env, op, out, in)).data;
  const float* b = optionalFloats(info, 2, op, "bias", out);
  float* y = getFloats(info, 3, op, "y", checkedMul(env, op, N, out)).data;
  if (kReference) {
    ref::linearForward(x, w, b, y, N, in, out);
  } else {
    KernelCallScope scope;
    linearForward(x, w, b, y, N, in, out);
  }
  return env.Undefined();
}

template <bool kReference>
Napi::Value LinearBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "linearBackwardReference" : "linearBackward";
  Napi::Env env = info.Env();
  requireArgs(info, op, 10);
  const int64_t N = getIndex(info, 6, op, "N"), in = getIndex(info, 7, op, "in"),
                out = getIndex(info, 8, op, "out");
  const bool accumulate = getBool(info, 9, op, "accumulate");
  const int64_t xSize = checkedMul(env, op, N, in), wSize = checkedMul(env, op, out, in);
  const float* x = getFloats(info, 0, op, "x", xSize).data;
  const float* w = getFloats(info, 1, op, "weight", wSize).data;
  const float* dy = getFloats(info, 2, op, "dy", checkedMul(env, op, N, out)).data;
  float* dx = optionalFloats(info, 3, op, "dx", xSize);
  float* dW = optionalFloats(info, 4, op, "dW", wSize);
  float* db = optionalFloats(info, 5, op, "db", out);
  if (kReference) {
    ref::linearBackward(x, w, dy, dx, dW, db, N, in, out, accumulate);
  } else {
    KernelCallScope scope;
    linearBackward(x, w, dy, dx, dW, db, N, in, out, accumulate);
  }
  return env.Undefined();
}

}  // namespace

void registerLinear(Napi::Env env, Napi::Object exports) {
  exports.Set("linearForward", Napi::Function::New(env, LinearForward<false>, "linearForward"));
  exports.Set("linearForwardReference",
              Napi::Function::New(env, LinearForward<true>, "linearForwardReference"));
  exports.Set("linearBackward", Napi::Function::New(env, LinearBackward<false>, "linearBackward"));
  exports.Set("linearBackwardReference",
              Napi::Function::New(env, LinearBackward<true>, "linearBackwardReference"));
}

}  // namespace convkit::binding
