// The addon's entry point: it only registers the entry points of each binding file.
#include "registry.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  convkit::binding::registerRuntime(env, exports);
  convkit::binding::registerMemory(env, exports);
  convkit::binding::registerGemm(env, exports);
  convkit::binding::registerPeak(env, exports);
  convkit::binding::registerRandom(env, exports);
  convkit::binding::registerBatchNorm(env, exports);
  convkit::binding::registerActivation(env, exports);
  convkit::binding::registerConv(env, exports);
  convkit::binding::registerDepthwise(env, exports);
  convkit::binding::registerPool(env, exports);
  convkit::binding::registerElementwise(env, exports);
  convkit::binding::registerReduce(env, exports);
  convkit::binding::registerShape(env, exports);
  convkit::binding::registerLinear(env, exports);
  convkit::binding::registerDropout(env, exports);
  convkit::binding::registerLoss(env, exports);
  convkit::binding::registerOptim(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(convkit, Init)
