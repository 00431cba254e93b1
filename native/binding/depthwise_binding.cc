// Depthwise convolution entry points (forward, backward data, backward weights) and their
// scalar references (for tests). Every call starts with the same 15 geometry integers:
//   N, H, W, C, multiplier, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight,
//   dilationH, dilationW
// followed by the tensors (flat Float32Arrays, lengths checked against the geometry).
#include "../kernels/batchnorm.h"
#include "../kernels/depthwise.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

constexpr size_t kGeometryArgs = 15;

struct Sizes {
  int64_t input, output, weight, outChannels;
};

DepthwiseGeometry parseGeometry(const Napi::CallbackInfo& info, const char* op, Sizes* sizes) {
  Napi::Env env = info.Env();
  DepthwiseGeometry g;
  g.N = getIndex(info, 0, op, "N");
  g.H = getIndex(info, 1, op, "H");
  g.W = getIndex(info, 2, op, "W");
  g.C = getIndex(info, 3, op, "C");
  const int64_t big = int64_t(1) << 40;
  g.multiplier = getIntIn(info, 4, op, "multiplier", 1, big);
  g.KH = getIntIn(info, 5, op, "KH", 1, big);
  g.KW = getIntIn(info, 6, op, "KW", 1, big);
  g.strideH = getIntIn(info, 7, op, "strideH", 1, big);
  g.strideW = getIntIn(info, 8, op, "strideW", 1, big);
  g.padTop = getIntIn(info, 9, op, "padTop", 0, big);
  g.padBottom = getIntIn(info, 10, op, "padBottom", 0, big);
  g.padLeft = getIntIn(info, 11, op, "padLeft", 0, big);
  g.padRight = getIntIn(info, 12, op, "padRight", 0, big);
  g.dilationH = getIntIn(info, 13, op, "dilationH", 1, big);
  g.dilationW = getIntIn(info, 14, op, "dilationW", 1, big);
  // The dilated kernel must fit the padded input (PyTorch's rule), so OH, OW >= 1.
  const int64_t extentH = checkedAdd(env, op, checkedMul(env, op, g.dilationH, g.KH - 1), 1);
  const int64_t extentW = checkedAdd(env, op, checkedMul(env, op, g.dilationW, g.KW - 1), 1);
  const int64_t paddedH = checkedAdd(env, op, checkedAdd(env, op, g.H, g.padTop), g.padBottom);
  const int64_t paddedW = checkedAdd(env, op, checkedAdd(env, op, g.W, g.padLeft), g.padRight);
  if (extentH > paddedH || extentW > paddedW)
    throwRangeError(env, op,
                    "the dilated kernel (" + std::to_string(extentH) + " x " +
                        std::to_string(extentW) + ") is larger than the padded input (" +
                        std::to_string(paddedH) + " x " + std::to_string(paddedW) + ")");
  sizes->outChannels = checkedMul(env, op, g.C, g.multiplier);
  sizes->input = checkedMul(env, op, checkedMul(env, op, checkedMul(env, op, g.N, g.H), g.W), g.C);
  sizes->output = checkedMul(
      env, op, checkedMul(env, op, checkedMul(env, op, g.N, g.OH()), g.OW()), sizes->outChannels);
  sizes->weight = checkedMul(env, op, checkedMul(env, op, sizes->outChannels, g.KH), g.KW);
  return g;
}

const float* optionalFloats(const Napi::CallbackInfo& info, size_t i, const char* op,
                            const char* name, int64_t length) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return getFloats(info, i, op, name, length).data;
}

Activation getActivation(const Napi::CallbackInfo& info, size_t i, const char* op) {
  return static_cast<Activation>(getIntIn(info, i, op, "activation", 0, 2));
}

// Optional trailing (inputAffine | null, inputActivation 0 none / 1 relu / 2 relu6 / 3 silu)
// at info[i], info[i + 1]: the input is seen through a batch norm first (DepthwiseInputNorm;
// inputAffine is its saveAffine, 4 C floats). False when absent.
bool getInputNorm(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t C,
                  DepthwiseInputNorm* norm) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return false;
  norm->affine = getFloats(info, i, op, "inputAffine", checkedMul(info.Env(), op, 4, C)).data;
  norm->activation = static_cast<int>(getIntIn(info, i + 1, op, "inputActivation", 0, 3));
  return true;
}

// (geometry, x, weight, bias | null, activation 0 none / 1 relu / 2 relu6, y, stats?,
// inputAffine?, inputActivation?): stats, a Float64Array(1 + 2 C*m), receives y's batch
// statistics (count, mean, m2) for a batch norm.
template <bool kReference>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "depthwiseConv2dReference" : "depthwiseConv2d";
  requireArgs(info, op, kGeometryArgs + 5);
  Sizes s;
  const DepthwiseGeometry g = parseGeometry(info, op, &s);
  const float* x = getFloats(info, 15, op, "x", s.input).data;
  const float* weight = getFloats(info, 16, op, "weight", s.weight).data;
  const float* bias = optionalFloats(info, 17, op, "bias", s.outChannels);
  const Activation activation = getActivation(info, 18, op);
  float* y = getFloats(info, 19, op, "y", s.output).data;
  double* statsOut = info.Length() > 20 && !info[20].IsNull() && !info[20].IsUndefined()
                         ? getDoubles(info, 20, op, "stats", 1 + 2 * s.outChannels)
                         : nullptr;
  DepthwiseInputNorm inputNorm;
  const bool normed = getInputNorm(info, 21, op, g.C, &inputNorm);
  if (kReference) {
    if (statsOut) throwRangeError(info.Env(), op, "the reference does not sum batch statistics");
    if (normed) throwRangeError(info.Env(), op, "the reference does not normalise its input");
    ref::depthwiseConv2dForward(g, x, weight, bias, activation, y);
  } else {
    KernelCallScope scope;
    BatchStats stats(statsOut ? s.outChannels : 0, kernelThreads());
    depthwiseConv2dForward(g, x, weight, bias, activation, y, statsOut ? &stats : nullptr,
                           normed ? &inputNorm : nullptr);
    if (statsOut) stats.merge(statsOut);
  }
  return info.Env().Undefined();
}

// (geometry, dy, weight, dx, h?, mean?, affine?, activation?, sums?): with h, the first pass
// of the backward of the norm that made x = act(bn(h)) (DepthwiseNormGradient; activation
// 0 none / 1 relu / 2 relu6 / 3 silu, sums a Float64Array(2 C) added to).
template <bool kReference>
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  const char* op =
      kReference ? "depthwiseConv2dBackwardDataReference" : "depthwiseConv2dBackwardData";
  requireArgs(info, op, kGeometryArgs + 3);
  Sizes s;
  const DepthwiseGeometry g = parseGeometry(info, op, &s);
  const float* dy = getFloats(info, 15, op, "dy", s.output).data;
  const float* weight = getFloats(info, 16, op, "weight", s.weight).data;
  float* dx = getFloats(info, 17, op, "dx", s.input).data;
  DepthwiseNormGradient normGradient;
  const bool normed = info.Length() > 18 && !info[18].IsNull() && !info[18].IsUndefined();
  if (normed) {
    requireArgs(info, op, kGeometryArgs + 8);
    normGradient.h = getFloats(info, 18, op, "h", s.input).data;
    normGradient.mean = getFloats(info, 19, op, "mean", g.C).data;
    normGradient.affine = getFloats(info, 20, op, "affine", checkedMul(info.Env(), op, 4, g.C)).data;
    normGradient.activation = static_cast<int>(getIntIn(info, 21, op, "activation", 0, 3));
    normGradient.sums = getDoubles(info, 22, op, "sums", checkedMul(info.Env(), op, 2, g.C));
  }
  if (kReference) {
    if (normed) throwRangeError(info.Env(), op, "the reference does not take the norm's sums");
    ref::depthwiseConv2dBackwardData(g, dy, weight, dx);
  } else {
    KernelCallScope scope;
    depthwiseConv2dBackwardData(g, dy, weight, dx, normed ? &normGradient : nullptr);
  }
  return info.Env().Undefined();
}

// (geometry, x, dy, dweight, dbias | null, inputAffine?, inputActivation?)
template <bool kReference>
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  const char* op =
      kReference ? "depthwiseConv2dBackwardWeightsReference" : "depthwiseConv2dBackwardWeights";
  requireArgs(info, op, kGeometryArgs + 4);
  Sizes s;
  const DepthwiseGeometry g = parseGeometry(info, op, &s);
  const float* x = getFloats(info, 15, op, "x", s.input).data;
  const float* dy = getFloats(info, 16, op, "dy", s.output).data;
  float* dweight = getFloats(info, 17, op, "dweight", s.weight).data;
  float* dbias = const_cast<float*>(optionalFloats(info, 18, op, "dbias", s.outChannels));
  DepthwiseInputNorm inputNorm;
  const bool normed = getInputNorm(info, 19, op, g.C, &inputNorm);
  if (kReference) {
    if (normed) throwRangeError(info.Env(), op, "the reference does not normalise its input");
    ref::depthwiseConv2dBackwardWeights(g, x, dy, dweight, dbias);
  } else {
    KernelCallScope scope;
    depthwiseConv2dBackwardWeights(g, x, dy, dweight, dbias, normed ? &inputNorm : nullptr);
  }
  return info.Env().Undefined();
}

Napi::Value KernelName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), depthwiseKernelName());
}

}  // namespace

void registerDepthwise(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*fn)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("depthwiseConv2d", Forward<false>);
  add("depthwiseConv2dReference", Forward<true>);
  add("depthwiseConv2dBackwardData", BackwardData<false>);
  add("depthwiseConv2dBackwardDataReference", BackwardData<true>);
  add("depthwiseConv2dBackwardWeights", BackwardWeights<false>);
  add("depthwiseConv2dBackwardWeightsReference", BackwardWeights<true>);
  add("depthwiseKernelName", KernelName);
}

}  // namespace convkit::binding
