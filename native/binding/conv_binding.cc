// conv2dForward / conv2dBackwardData / conv2dBackwardWeights (+ their scalar references for
// tests). Shapes travel as one array of 16 integers:
//   [N, H, W, Cin, Cout, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight,
//    dilationH, dilationW, groups]
// conv2dBackwardData(params, dy, weight, dx, algorithm?, accumulate?, h?, ldh, mean, affine,
// activation, sums): with h, a 1x1 conv whose input is act(bn(h)) also runs the norm's first
// backward pass (kernels/conv_pointwise.h, PointwiseNormGradient) and dx holds g.
// conv2dForward(..., stats?, inputAffine?, inputActivation, ldx) and conv2dBackwardWeights(...,
// algorithm?, inputAffine?, inputActivation, ldx): a 1x1 conv of act(bn(x)), x's rows ldx apart,
// without storing the norm's output (kernels/conv_input_norm.h).
// conv2dBackwardNormApplied(params, x, w, h, g, mean, invstd, gamma?, training, sums, dx?,
// accumulate, dw?, dgamma?, dbeta?): both gradients of a 1x1 conv whose output h a batch norm
// read, from that norm's masked output gradient g and first-pass sums (PointwiseNormApply).
// Every size is re-checked here (products that overflow, divisibility, output >= 1, buffer
// lengths) because native code never trusts a length.
#include <string>

#include "../kernels/batchnorm.h"
#include "../kernels/conv.h"
#include "../kernels/conv_input_norm.h"
#include "../kernels/conv_pointwise.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

constexpr int64_t kMaxDim = int64_t(1) << 31;

Conv2dParams parseParams(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsArray())
    throwTypeError(env, op, "expected an array of 16 integers for params");
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() != 16)
    throwRangeError(env, op, "expected 16 values in params but received " + std::to_string(a.Length()));
  static const char* names[16] = {"N", "H", "W", "Cin", "Cout", "KH", "KW", "strideH", "strideW",
                                  "padTop", "padBottom", "padLeft", "padRight", "dilationH",
                                  "dilationW", "groups"};
  static const int64_t mins[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1};
  int64_t v[16];
  for (uint32_t k = 0; k < 16; ++k) {
    Napi::Value e = a.Get(k);
    if (!e.IsNumber()) throwTypeError(env, op, std::string("expected an integer for ") + names[k]);
    const double d = e.As<Napi::Number>().DoubleValue();
    if (!(d == static_cast<double>(static_cast<int64_t>(d))) || d < mins[k] || d > kMaxDim)
      throwRangeError(env, op, std::string("expected an integer in [") + std::to_string(mins[k]) +
                                   ", 2^31] for " + names[k] + " but received " + std::to_string(d));
    v[k] = static_cast<int64_t>(d);
  }
  Conv2dParams p{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                 v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  if (p.Cin % p.groups || p.Cout % p.groups)
    throwRangeError(env, op, "Cin = " + std::to_string(p.Cin) + " and Cout = " + std::to_string(p.Cout) +
                                 " must be divisible by groups = " + std::to_string(p.groups));
  const int64_t spanH = p.dilationH * (p.KH - 1) + 1, spanW = p.dilationW * (p.KW - 1) + 1;
  if (p.H + p.padTop + p.padBottom < spanH || p.W + p.padLeft + p.padRight < spanW)
    throwRangeError(env, op, "the kernel (" + std::to_string(spanH) + "x" + std::to_string(spanW) +
                                 " with dilation) is larger than the padded input");
  // Element counts of every tensor must fit (no overflow anywhere below).
  checkedMul(env, op, checkedMul(env, op, checkedMul(env, op, p.N, p.H), p.W), p.Cin);
  checkedMul(env, op, checkedMul(env, op, checkedMul(env, op, p.N, p.outH()), p.outW()),
             checkedMul(env, op, p.Cout, checkedMul(env, op, p.KH, p.KW)));
  checkedMul(env, op, checkedMul(env, op, p.Cin, p.KH * p.KW), p.Cout);
  return p;
}

int64_t inputSize(const Conv2dParams& p) { return p.N * p.H * p.W * p.Cin; }
int64_t outputSize(const Conv2dParams& p) { return p.N * p.outH() * p.outW() * p.Cout; }
int64_t weightSize(const Conv2dParams& p) { return p.Cout * (p.Cin / p.groups) * p.KH * p.KW; }

bool isAbsent(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

ConvAlgorithm getAlgorithm(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (isAbsent(info, i)) return ConvAlgorithm::automatic;
  return static_cast<ConvAlgorithm>(getIntIn(info, i, op, "algorithm", 0, 4));
}

// (..., affine?, activation, ldx) from index i: the batch norm whose output a 1x1 conv reads
// (PointwiseInputNorm); x then holds rows of ldx >= Cin floats. False when absent.
bool parseInputNorm(const Napi::CallbackInfo& info, size_t i, const char* op, const Conv2dParams& p,
                    PointwiseInputNorm* norm) {
  if (isAbsent(info, i)) return false;
  requireArgs(info, op, i + 3);
  if (!pointwiseInputNormApplies(p))
    throwRangeError(info.Env(), op,
                    "an input norm needs a 1x1 stride-1 unpadded convolution of one group");
  norm->affine = getFloats(info, i, op, "inputAffine", checkedMul(info.Env(), op, 4, p.Cin)).data;
  norm->activation = static_cast<int>(getIntIn(info, i + 1, op, "inputActivation", 0, 3));
  norm->ldx = getIndex(info, i + 2, op, "ldx");
  if (norm->ldx < p.Cin)
    throwRangeError(info.Env(), op,
                    "ldx must be >= Cin (" + std::to_string(p.Cin) + "), got " + std::to_string(norm->ldx));
  return true;
}

// Floats x must hold: N*H*W rows of ldx with an input norm, else the plain input size.
int64_t inputFloats(const Napi::CallbackInfo& info, const char* op, const Conv2dParams& p,
                    bool normed, const PointwiseInputNorm& norm) {
  return normed ? matrixSpan(info.Env(), op, p.N * p.H * p.W, p.Cin, norm.ldx) : inputSize(p);
}

// (params, x, w, bias | null, residual | null, activation 0..2, y, algorithm?, stats?,
// inputAffine?, inputActivation, ldx): stats, a
// Float64Array(1 + 2 Cout), receives y's batch statistics (count, mean, m2) for a batch norm.
template <bool Reference>
Napi::Value Forward(const Napi::CallbackInfo& info) {
  const char* op = Reference ? "conv2dForwardReference" : "conv2dForward";
  requireArgs(info, op, 7);
  const Conv2dParams p = parseParams(info, 0, op);
  PointwiseInputNorm inputNorm;
  const bool normed = parseInputNorm(info, 9, op, p, &inputNorm);
  const FloatView x = getFloats(info, 1, op, "x", inputFloats(info, op, p, normed, inputNorm));
  const FloatView w = getFloats(info, 2, op, "weight", weightSize(p));
  GemmEpilogue epi;
  if (!isAbsent(info, 3)) epi.bias = getFloats(info, 3, op, "bias", p.Cout).data;
  if (!isAbsent(info, 4)) epi.residual = getFloats(info, 4, op, "residual", outputSize(p)).data;
  epi.ldResidual = p.Cout;
  epi.activation = static_cast<Activation>(getIntIn(info, 5, op, "activation", 0, 2));
  const FloatView y = getFloats(info, 6, op, "y", outputSize(p));
  const ConvAlgorithm algorithm = getAlgorithm(info, 7, op);
  double* statsOut = isAbsent(info, 8) ? nullptr : getDoubles(info, 8, op, "stats", 1 + 2 * p.Cout);
  if (Reference) {
    if (statsOut || normed)
      throwRangeError(info.Env(), op, "the reference takes no batch statistics or input norm");
    ref::conv2dForward(p, x.data, w.data, &epi, y.data);
  } else if (normed) {
    if (epi.residual || epi.activation != Activation::none)
      throwRangeError(info.Env(), op, "an input norm takes no residual or output activation");
    KernelCallScope scope;
    BatchStats stats(p.Cout, kernelThreads());
    pointwiseForwardInputNorm(p, x.data, inputNorm, w.data, epi.bias, y.data,
                              statsOut ? &stats : nullptr);
    if (statsOut) stats.merge(statsOut);
  } else {
    KernelCallScope scope;
    if (statsOut) {
      BatchStats stats(p.Cout, kernelThreads());
      conv2dForward(p, x.data, w.data, &epi, y.data, algorithm, &stats);
      stats.merge(statsOut);
    } else {
      conv2dForward(p, x.data, w.data, &epi, y.data, algorithm);
    }
  }
  return info.Env().Undefined();
}

// (params, dy, w, dx, algorithm?, accumulate?): accumulate adds into dx (conv.h).
template <bool Reference>
Napi::Value BackwardData(const Napi::CallbackInfo& info) {
  const char* op = Reference ? "conv2dBackwardDataReference" : "conv2dBackwardData";
  requireArgs(info, op, 4);
  const Conv2dParams p = parseParams(info, 0, op);
  const FloatView dy = getFloats(info, 1, op, "dy", outputSize(p));
  const FloatView w = getFloats(info, 2, op, "weight", weightSize(p));
  const FloatView dx = getFloats(info, 3, op, "dx", inputSize(p));
  const ConvAlgorithm algorithm = getAlgorithm(info, 4, op);
  const bool accumulate = !isAbsent(info, 5) && getBool(info, 5, op, "accumulate");
  // (..., h?, ldh, mean, affine, activation, sums): the first pass of the backward of the norm
  // that made x = act(bn(h)), on each run of dx rows (PointwiseNormGradient; 1x1 only).
  PointwiseNormGradient norm;
  const bool normed = !isAbsent(info, 6);
  if (normed) {
    requireArgs(info, op, 12);
    if (Reference || accumulate || !pointwiseNormGradientApplies(p))
      throwRangeError(info.Env(), op,
                      "the norm's gradient sums need a 1x1 stride-1 convolution of one group, "
                      "not accumulating, not the reference");
    const int64_t rows = p.N * p.H * p.W;
    norm.ldh = getIndex(info, 7, op, "ldh");
    if (norm.ldh < p.Cin)
      throwRangeError(info.Env(), op,
                      "ldh must be >= Cin (" + std::to_string(p.Cin) + "), got " + std::to_string(norm.ldh));
    norm.h = getFloats(info, 6, op, "h", checkedMul(info.Env(), op, rows, norm.ldh)).data;
    norm.mean = getFloats(info, 8, op, "mean", p.Cin).data;
    norm.affine = getFloats(info, 9, op, "affine", checkedMul(info.Env(), op, 4, p.Cin)).data;
    norm.activation = static_cast<int>(getIntIn(info, 10, op, "activation", 0, 3));
    norm.sums = getDoubles(info, 11, op, "sums", checkedMul(info.Env(), op, 2, p.Cin));
  }
  if (Reference) {
    if (accumulate) throwRangeError(info.Env(), op, "the reference does not accumulate");
    ref::conv2dBackwardData(p, dy.data, w.data, dx.data);
  } else if (normed) {
    KernelCallScope scope;
    pointwiseBackwardDataNormGradient(p, dy.data, w.data, dx.data, norm);
  } else {
    KernelCallScope scope;
    conv2dBackwardData(p, dy.data, w.data, dx.data, algorithm, accumulate);
  }
  return info.Env().Undefined();
}

// (params, x, w, h, g, mean, invstd, gamma?, training, sums, dx?, accumulate, dw?, dgamma?,
// dbeta?): the absent outputs are not computed.
Napi::Value BackwardNormApplied(const Napi::CallbackInfo& info) {
  const char* op = "conv2dBackwardNormApplied";
  requireArgs(info, op, 15);
  const Conv2dParams p = parseParams(info, 0, op);
  if (!pointwiseNormGradientApplies(p))
    throwRangeError(info.Env(), op, "needs a 1x1 stride-1 unpadded convolution of one group");
  const FloatView x = getFloats(info, 1, op, "x", inputSize(p));
  const FloatView w = getFloats(info, 2, op, "weight", weightSize(p));
  PointwiseNormApply norm;
  norm.h = getFloats(info, 3, op, "h", outputSize(p)).data;
  norm.g = getFloats(info, 4, op, "g", outputSize(p)).data;
  norm.mean = getFloats(info, 5, op, "mean", p.Cout).data;
  norm.invstd = getFloats(info, 6, op, "invstd", p.Cout).data;
  norm.gamma = isAbsent(info, 7) ? nullptr : getFloats(info, 7, op, "gamma", p.Cout).data;
  norm.training = getBool(info, 8, op, "training");
  norm.sums = getDoubles(info, 9, op, "sums", 2 * p.Cout);
  float* dx = isAbsent(info, 10) ? nullptr : getFloats(info, 10, op, "dx", inputSize(p)).data;
  const bool accumulate = getBool(info, 11, op, "accumulate");
  float* dw = isAbsent(info, 12) ? nullptr : getFloats(info, 12, op, "dw", weightSize(p)).data;
  float* dgamma = isAbsent(info, 13) ? nullptr : getFloats(info, 13, op, "dgamma", p.Cout).data;
  float* dbeta = isAbsent(info, 14) ? nullptr : getFloats(info, 14, op, "dbeta", p.Cout).data;
  KernelCallScope scope;
  pointwiseBackwardNormApplied(p, x.data, w.data, norm, dx, accumulate, dw, dgamma, dbeta);
  return info.Env().Undefined();
}

// (params, x, dy, dw, dbias | null, algorithm?, inputAffine?, inputActivation, ldx)
template <bool Reference>
Napi::Value BackwardWeights(const Napi::CallbackInfo& info) {
  const char* op = Reference ? "conv2dBackwardWeightsReference" : "conv2dBackwardWeights";
  requireArgs(info, op, 5);
  const Conv2dParams p = parseParams(info, 0, op);
  PointwiseInputNorm inputNorm;
  const bool normed = parseInputNorm(info, 6, op, p, &inputNorm);
  const FloatView x = getFloats(info, 1, op, "x", inputFloats(info, op, p, normed, inputNorm));
  const FloatView dy = getFloats(info, 2, op, "dy", outputSize(p));
  const FloatView dw = getFloats(info, 3, op, "dw", weightSize(p));
  float* dbias = isAbsent(info, 4) ? nullptr : getFloats(info, 4, op, "dbias", p.Cout).data;
  const ConvAlgorithm algorithm = getAlgorithm(info, 5, op);
  if (Reference) {
    if (normed) throwRangeError(info.Env(), op, "the reference takes no input norm");
    ref::conv2dBackwardWeights(p, x.data, dy.data, dw.data, dbias);
  } else if (normed) {
    KernelCallScope scope;
    pointwiseBackwardWeightsInputNorm(p, x.data, inputNorm, dy.data, dw.data, dbias);
  } else {
    KernelCallScope scope;
    conv2dBackwardWeights(p, x.data, dy.data, dw.data, dbias, algorithm);
  }
  return info.Env().Undefined();
}

// (params, algorithm?) -> "gemm-1x1" | "im2col-gemm" | "implicit-gemm" | "grouped-direct" |
// "grouped-rotate"
Napi::Value AlgorithmName(const Napi::CallbackInfo& info) {
  const char* op = "conv2dAlgorithm";
  requireArgs(info, op, 1);
  const Conv2dParams p = parseParams(info, 0, op);
  return Napi::String::New(info.Env(), conv2dAlgorithmName(p, getAlgorithm(info, 1, op)));
}

}  // namespace

void registerConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New(env, Forward<false>, "conv2dForward"));
  exports.Set("conv2dForwardReference", Napi::Function::New(env, Forward<true>, "conv2dForwardReference"));
  exports.Set("conv2dBackwardData", Napi::Function::New(env, BackwardData<false>, "conv2dBackwardData"));
  exports.Set("conv2dBackwardDataReference",
              Napi::Function::New(env, BackwardData<true>, "conv2dBackwardDataReference"));
  exports.Set("conv2dBackwardWeights",
              Napi::Function::New(env, BackwardWeights<false>, "conv2dBackwardWeights"));
  exports.Set("conv2dBackwardWeightsReference",
              Napi::Function::New(env, BackwardWeights<true>, "conv2dBackwardWeightsReference"));
  exports.Set("conv2dBackwardNormApplied",
              Napi::Function::New(env, BackwardNormApplied, "conv2dBackwardNormApplied"));
  exports.Set("conv2dAlgorithm", Napi::Function::New(env, AlgorithmName, "conv2dAlgorithm"));
}

}  // namespace convkit::binding
