// maxPool2d / avgPool2d / adaptiveAvgPool2d, forward and backward, and their scalar references
// (<name>Reference, for tests). Every size is re-checked here: PyTorch's rules for kernel,
// stride, padding (<= kernel / 2), dilation and output size, and every buffer's length.
#include "../kernels/pool.h"
#include "../runtime/threads.h"
#include "registry.h"
#include "shape_args.h"

namespace convkit::binding {

namespace {

constexpr int64_t kMaxDim = int64_t(1) << 31;

// Arguments 0..12: N, H, W, C, kh, kw, sh, sw, ph, pw, dh, dw, ceilMode.
Pool2dParams parseWindowedPool(const Napi::CallbackInfo& info, const char* op) {
  Napi::Env env = info.Env();
  Pool2dParams p;
  p.N = getIndex(info, 0, op, "N");
  p.H = getIntIn(info, 1, op, "H", 0, kMaxDim - 1);
  p.W = getIntIn(info, 2, op, "W", 0, kMaxDim - 1);
  p.C = getIndex(info, 3, op, "C");
  p.kh = getIntIn(info, 4, op, "kernelSize[0]", 1, kMaxDim);
  p.kw = getIntIn(info, 5, op, "kernelSize[1]", 1, kMaxDim);
  p.sh = getIntIn(info, 6, op, "stride[0]", 1, kMaxDim);
  p.sw = getIntIn(info, 7, op, "stride[1]", 1, kMaxDim);
  p.ph = getIntIn(info, 8, op, "padding[0]", 0, kMaxDim);
  p.pw = getIntIn(info, 9, op, "padding[1]", 0, kMaxDim);
  p.dh = getIntIn(info, 10, op, "dilation[0]", 1, kMaxDim);
  p.dw = getIntIn(info, 11, op, "dilation[1]", 1, kMaxDim);
  const bool ceilMode = getBool(info, 12, op, "ceilMode");
  if (p.ph > p.kh / 2 || p.pw > p.kw / 2)
    throwRangeError(env, op, "padding [" + std::to_string(p.ph) + ", " + std::to_string(p.pw) +
                                 "] must be at most half the kernel size [" + std::to_string(p.kh) +
                                 ", " + std::to_string(p.kw) + "]");
  if (int64_t(p.H) * p.W >= kMaxDim)
    throwRangeError(env, op, "H * W = " + std::to_string(p.H * p.W) + " does not fit int32 indices");
  p.OH = poolOutputSize(p.H, p.kh, p.ph, p.sh, p.dh, ceilMode);
  p.OW = poolOutputSize(p.W, p.kw, p.pw, p.sw, p.dw, ceilMode);
  if (p.OH < 1 || p.OW < 1)
    throwRangeError(env, op, "output size [" + std::to_string(p.OH) + ", " + std::to_string(p.OW) +
                                 "] is too small for input [" + std::to_string(p.H) + ", " +
                                 std::to_string(p.W) + "] (kernel larger than the padded input)");
  return p;
}

int64_t inputSize(const Napi::Env& env, const char* op, const Pool2dParams& p) {
  return shapeSize(env, op, {p.N, p.H, p.W, p.C});
}
int64_t outputSize(const Napi::Env& env, const char* op, const Pool2dParams& p) {
  return shapeSize(env, op, {p.N, p.OH, p.OW, p.C});
}

template <bool kReference>
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "maxPool2dReference" : "maxPool2d";
  Napi::Env env = info.Env();
  requireArgs(info, op, 16);
  const Pool2dParams p = parseWindowedPool(info, op);
  const FloatView in = getFloats(info, 13, op, "input", inputSize(env, op, p));
  const FloatView out = getFloats(info, 14, op, "output", outputSize(env, op, p));
  const IntView idx = getInts(info, 15, op, "indices", outputSize(env, op, p));
  KernelCallScope scope;
  (kReference ? ref::maxPool2d : maxPool2d)(p, in.data, out.data, idx.data);
  return env.Undefined();
}

template <bool kReference>
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "maxPool2dBackwardReference" : "maxPool2dBackward";
  Napi::Env env = info.Env();
  requireArgs(info, op, 16);
  const Pool2dParams p = parseWindowedPool(info, op);
  const FloatView gout = getFloats(info, 13, op, "gradOutput", outputSize(env, op, p));
  const IntView idx = getInts(info, 14, op, "indices", outputSize(env, op, p));
  const FloatView gin = getFloats(info, 15, op, "gradInput", inputSize(env, op, p));
  KernelCallScope scope;
  (kReference ? ref::maxPool2dBackward : maxPool2dBackward)(p, gout.data, idx.data, gin.data);
  return env.Undefined();
}

// avg: the windowed head (dilation must be 1), countIncludePad, divisorOverride (0 = none).
Pool2dParams parseAvgPool(const Napi::CallbackInfo& info, const char* op, bool* countIncludePad,
                          int64_t* divisorOverride) {
  requireArgs(info, op, 17);
  const Pool2dParams p = parseWindowedPool(info, op);
  if (p.dh != 1 || p.dw != 1) throwRangeError(info.Env(), op, "avg pooling has no dilation");
  *countIncludePad = getBool(info, 13, op, "countIncludePad");
  *divisorOverride = getIntIn(info, 14, op, "divisorOverride", 0, kMaxDim);
  return p;
}

template <bool kReference>
Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "avgPool2dReference" : "avgPool2d";
  Napi::Env env = info.Env();
  bool countIncludePad;
  int64_t divisorOverride;
  const Pool2dParams p = parseAvgPool(info, op, &countIncludePad, &divisorOverride);
  const FloatView in = getFloats(info, 15, op, "input", inputSize(env, op, p));
  const FloatView out = getFloats(info, 16, op, "output", outputSize(env, op, p));
  KernelCallScope scope;
  (kReference ? ref::avgPool2d : avgPool2d)(p, countIncludePad, divisorOverride, in.data, out.data);
  return env.Undefined();
}

template <bool kReference>
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "avgPool2dBackwardReference" : "avgPool2dBackward";
  Napi::Env env = info.Env();
  bool countIncludePad;
  int64_t divisorOverride;
  const Pool2dParams p = parseAvgPool(info, op, &countIncludePad, &divisorOverride);
  const FloatView gout = getFloats(info, 15, op, "gradOutput", outputSize(env, op, p));
  const FloatView gin = getFloats(info, 16, op, "gradInput", inputSize(env, op, p));
  KernelCallScope scope;
  (kReference ? ref::avgPool2dBackward : avgPool2dBackward)(p, countIncludePad, divisorOverride,
                                                             gout.data, gin.data);
  return env.Undefined();
}

// N, H, W, C, OH, OW (output sizes >= 1; windows are never empty for H, W >= 1).
Pool2dParams parseAdaptive(const Napi::CallbackInfo& info, const char* op) {
  requireArgs(info, op, 8);
  Pool2dParams p{};
  p.N = getIndex(info, 0, op, "N");
  p.H = getIntIn(info, 1, op, "H", 1, kMaxDim - 1);
  p.W = getIntIn(info, 2, op, "W", 1, kMaxDim - 1);
  p.C = getIndex(info, 3, op, "C");
  p.OH = getIntIn(info, 4, op, "outputSize[0]", 1, kMaxDim - 1);
  p.OW = getIntIn(info, 5, op, "outputSize[1]", 1, kMaxDim - 1);
  checkedMul(info.Env(), op, p.OH, p.H);  // (o + 1) * H inside the window rule
  checkedMul(info.Env(), op, p.OW, p.W);
  return p;
}

template <bool kReference, bool kBackward>
Napi::Value AdaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  const char* op = kBackward ? (kReference ? "adaptiveAvgPool2dBackwardReference" : "adaptiveAvgPool2dBackward")
                             : (kReference ? "adaptiveAvgPool2dReference" : "adaptiveAvgPool2d");
  Napi::Env env = info.Env();
  const Pool2dParams p = parseAdaptive(info, op);
  const int64_t inSize = inputSize(env, op, p), outSize = outputSize(env, op, p);
  const FloatView a = getFloats(info, 6, op, kBackward ? "gradOutput" : "input", kBackward ? outSize : inSize);
  const FloatView b = getFloats(info, 7, op, kBackward ? "gradInput" : "output", kBackward ? inSize : outSize);
  KernelCallScope scope;
  if (kBackward)
    (kReference ? ref::adaptiveAvgPool2dBackward : adaptiveAvgPool2dBackward)(p, a.data, b.data);
  else
    (kReference ? ref::adaptiveAvgPool2d : adaptiveAvgPool2d)(p, a.data, b.data);
  return env.Undefined();
}

// poolOutputSize(in, kernel, padding, stride, dilation, ceilMode): PyTorch's rule, unchecked
// beyond the argument types (the caller reports sizes < 1).
Napi::Value PoolOutputSize(const Napi::CallbackInfo& info) {
  const char* op = "poolOutputSize";
  requireArgs(info, op, 6);
  const int64_t in = getIntIn(info, 0, op, "in", 0, kMaxDim);
  const int64_t k = getIntIn(info, 1, op, "kernel", 1, kMaxDim);
  const int64_t pad = getIntIn(info, 2, op, "padding", 0, kMaxDim);
  const int64_t s = getIntIn(info, 3, op, "stride", 1, kMaxDim);
  const int64_t d = getIntIn(info, 4, op, "dilation", 1, kMaxDim);
  const bool ceilMode = getBool(info, 5, op, "ceilMode");
  return Napi::Number::New(info.Env(), double(poolOutputSize(in, k, pad, s, d, ceilMode)));
}

}  // namespace

void registerPool(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Function::Callback fn) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("poolOutputSize", PoolOutputSize);
  add("maxPool2d", MaxPool2d<false>);
  add("maxPool2dReference", MaxPool2d<true>);
  add("maxPool2dBackward", MaxPool2dBackward<false>);
  add("maxPool2dBackwardReference", MaxPool2dBackward<true>);
  add("avgPool2d", AvgPool2d<false>);
  add("avgPool2dReference", AvgPool2d<true>);
  add("avgPool2dBackward", AvgPool2dBackward<false>);
  add("avgPool2dBackwardReference", AvgPool2dBackward<true>);
  add("adaptiveAvgPool2d", AdaptiveAvgPool2d<false, false>);
  add("adaptiveAvgPool2dReference", AdaptiveAvgPool2d<true, false>);
  add("adaptiveAvgPool2dBackward", AdaptiveAvgPool2d<false, true>);
  add("adaptiveAvgPool2dBackwardReference", AdaptiveAvgPool2d<true, true>);
}

}  // namespace convkit::binding
