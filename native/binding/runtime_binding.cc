// Runtime control from JS: which ISA path runs, how many threads, what the build has.
#include <cstdlib>

#include "../runtime/cpu.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const Isa isa = activeIsa();
  out.Set("isa", isaName(isa));
  Napi::Array available = Napi::Array::New(env);
  uint32_t n = 0;
  for (int i = kIsaCount - 1; i >= 0; --i)
    if (isaSupported(static_cast<Isa>(i))) available.Set(n++, isaName(static_cast<Isa>(i)));
  out.Set("isasAvailable", available);
  out.Set("openmp", openmpEnabled());
  out.Set("threads", getNumThreads());
  out.Set("maxThreads", maxThreads());
  out.Set("vectorWidth", isaVectorWidth(isa));
#if defined(__x86_64__)
  out.Set("arch", "x64");
#elif defined(__aarch64__)
  out.Set("arch", "arm64");
#else
  out.Set("arch", "unknown");
#endif
  out.Set("compiler", __VERSION__);
  return out;
}

// setIsa(name): switch the path for every later kernel call. Throws for a path the CPU lacks.
Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireArgs(info, "setIsa", 1);
  const std::string name = getString(info, 0, "setIsa", "isa");
  Isa isa;
  if (!parseIsa(name.c_str(), &isa))
    throwRangeError(env, "setIsa",
                    "unknown ISA '" + name + "'; expected one of avx512, avx2, generic");
  if (!setActiveIsa(isa))
    throwRangeError(env, "setIsa",
                    "this CPU does not support ISA '" + name + "' (best available: " +
                        isaName(bestIsa()) + ")");
  return env.Undefined();
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  requireArgs(info, "setNumThreads", 1);
  setNumThreads(static_cast<int>(getIntIn(info, 0, "setNumThreads", "n", 1, 4096)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getNumThreads());
}

}  // namespace

void registerRuntime(Napi::Env env, Napi::Object exports) {
  exports.Set("runtimeInfo", Napi::Function::New(env, RuntimeInfo, "runtimeInfo"));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa, "setIsa"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
}

}  // namespace convkit::binding
