// fillUniform(array, low, high, seedHi, seedLo) and fillNormal(array, mean, std, seedHi, seedLo):
// the 64-bit seed comes in two 32-bit halves (exact as JS numbers).
#include "../kernels/random.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

uint64_t getSeed(const Napi::CallbackInfo& info, const char* op) {
  const uint64_t hi = static_cast<uint64_t>(getIntIn(info, 3, op, "seedHi", 0, 0xffffffffll));
  const uint64_t lo = static_cast<uint64_t>(getIntIn(info, 4, op, "seedLo", 0, 0xffffffffll));
  return (hi << 32) | lo;
}

Napi::Value FillUniform(const Napi::CallbackInfo& info) {
  const char* op = "fillUniform";
  requireArgs(info, op, 5);
  const FloatView out = getFloats(info, 0, op, "out", 0);
  const float low = static_cast<float>(getNumber(info, 1, op, "low"));
  const float high = static_cast<float>(getNumber(info, 2, op, "high"));
  const uint64_t seed = getSeed(info, op);
  KernelCallScope scope;
  fillUniform(out.data, out.length, low, high, seed);
  return info.Env().Undefined();
}

Napi::Value FillNormal(const Napi::CallbackInfo& info) {
  const char* op = "fillNormal";
  requireArgs(info, op, 5);
  const FloatView out = getFloats(info, 0, op, "out", 0);
  const float mean = static_cast<float>(getNumber(info, 1, op, "mean"));
  const float std = static_cast<float>(getNumber(info, 2, op, "std"));
  const uint64_t seed = getSeed(info, op);
  KernelCallScope scope;
  fillNormal(out.data, out.length, mean, std, seed);
  return info.Env().Undefined();
}

}  // namespace

void registerRandom(Napi::Env env, Napi::Object exports) {
  exports.Set("fillUniform", Napi::Function::New(env, FillUniform, "fillUniform"));
  exports.Set("fillNormal", Napi::Function::New(env, FillNormal, "fillNormal"));
}

}  // namespace convkit::binding
