// fmaPeak(isa, threads, seconds) -> GFLOP/s; memoryBandwidth(kind, bytes, threads, repeats)
// -> GB/s. Benchmarks only.
#include "../kernels/peak.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireArgs(info, "fmaPeak", 3);
  const std::string name = getString(info, 0, "fmaPeak", "isa");
  Isa isa;
  if (!parseIsa(name.c_str(), &isa) || !isaSupported(isa))
    throwRangeError(env, "fmaPeak", "ISA '" + name + "' is not available on this CPU");
  const int threads = static_cast<int>(getIntIn(info, 1, "fmaPeak", "threads", 1, 1024));
  const double seconds = getNumber(info, 2, "fmaPeak", "seconds");
  if (!(seconds > 0 && seconds <= 60))
    throwRangeError(env, "fmaPeak", "seconds must be in (0, 60]");
  KernelCallScope scope;
  return Napi::Number::New(env, measureFmaPeak(isa, threads, seconds));
}

Napi::Value MemoryBandwidth(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireArgs(info, "memoryBandwidth", 4);
  const std::string kind = getString(info, 0, "memoryBandwidth", "kind");
  if (kind != "copy" && kind != "triad")
    throwRangeError(env, "memoryBandwidth", "kind must be 'copy' or 'triad', not '" + kind + "'");
  const int64_t bytes =
      getIntIn(info, 1, "memoryBandwidth", "bytes", 1 << 20, int64_t(1) << 34);
  const int threads = static_cast<int>(getIntIn(info, 2, "memoryBandwidth", "threads", 1, 1024));
  const int repeats = static_cast<int>(getIntIn(info, 3, "memoryBandwidth", "repeats", 1, 1000));
  KernelCallScope scope;
  const double gbPerSecond = measureBandwidth(
      kind == "copy" ? BandwidthKind::copy : BandwidthKind::triad, bytes, threads, repeats);
  poolTrim();  // the arrays are far larger than anything worth keeping pooled
  return Napi::Number::New(env, gbPerSecond);
}

}  // namespace

void registerPeak(Napi::Env env, Napi::Object exports) {
  exports.Set("fmaPeak", Napi::Function::New(env, FmaPeak, "fmaPeak"));
  exports.Set("memoryBandwidth", Napi::Function::New(env, MemoryBandwidth, "memoryBandwidth"));
}

}  // namespace convkit::binding
