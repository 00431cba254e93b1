// dropoutForward(x, y, mask: Uint8Array, n, p, seed, counter) and
// dropoutBackward(dy, mask, dx, n, p), plus *Reference twins. seed and counter are unsigned
// 64-bit: a BigInt, or a number that is a whole number in [0, 2^53].
#include <cmath>

#include "../kernels/dropout.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

uint8_t* getBytes(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                  int64_t minLength) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throwTypeError(info.Env(), op, std::string("expected a Uint8Array for ") + name);
  auto array = v.As<Napi::Uint8Array>();
  if (array.ArrayBuffer().IsDetached())
    throwTypeError(info.Env(), op, std::string(name) + " has been disposed");
  if (static_cast<int64_t>(array.ElementLength()) < minLength)
    throwRangeError(info.Env(), op,
                    std::string(name) + " holds " + std::to_string(array.ElementLength()) +
                        " elements but the shape needs " + std::to_string(minLength));
  return array.Data();
}

uint64_t getUint64(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Value v = info[i];
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t value = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless)
      throwRangeError(info.Env(), op,
                      std::string("expected an unsigned 64-bit integer for ") + name);
    return value;
  }
  return static_cast<uint64_t>(getIndex(info, i, op, name));
}

double getProbability(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const double p = getNumber(info, i, op, "p");
  if (!(p >= 0.0 && p <= 1.0))
    throwRangeError(info.Env(), op,
                    "expected p in [0, 1] but received " + std::to_string(p));
  return p;
}

template <bool kReference>
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "dropoutForwardReference" : "dropoutForward";
  requireArgs(info, op, 7);
  const int64_t n = getIndex(info, 3, op, "n");
  const double p = getProbability(info, 4, op);
  const uint64_t seed = getUint64(info, 5, op, "seed"), counter = getUint64(info, 6, op, "counter");
  const float* x = getFloats(info, 0, op, "x", n).data;
  float* y = getFloats(info, 1, op, "y", n).data;
  uint8_t* mask = getBytes(info, 2, op, "mask", n);
  if (kReference) {
    ref::dropoutForward(x, y, mask, n, p, seed, counter);
  } else {
    KernelCallScope scope;
    dropoutForward(x, y, mask, n, p, seed, counter);
  }
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "dropoutBackwardReference" : "dropoutBackward";
  requireArgs(info, op, 5);
  const int64_t n = getIndex(info, 3, op, "n");
  const double p = getProbability(info, 4, op);
  const float* dy = getFloats(info, 0, op, "dy", n).data;
  const uint8_t* mask = getBytes(info, 1, op, "mask", n);
  float* dx = getFloats(info, 2, op, "dx", n).data;
  if (kReference) {
    ref::dropoutBackward(dy, mask, dx, n, p);
  } else {
    KernelCallScope scope;
    dropoutBackward(dy, mask, dx, n, p);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerDropout(Napi::Env env, Napi::Object exports) {
  exports.Set("dropoutForward", Napi::Function::New(env, DropoutForward<false>, "dropoutForward"));
  exports.Set("dropoutForwardReference",
              Napi::Function::New(env, DropoutForward<true>, "dropoutForwardReference"));
  exports.Set("dropoutBackward",
              Napi::Function::New(env, DropoutBackward<false>, "dropoutBackward"));
  exports.Set("dropoutBackwardReference",
              Napi::Function::New(env, DropoutBackward<true>, "dropoutBackwardReference"));
}

}  // namespace convkit::binding
