// Softmax / logSoftmax (forward, backward) over the last axis and the losses:
//   softmaxForward(x, y, rows, C)            softmaxBackward(y, dy, dx, rows, C)   (+ log*)
//   crossEntropyForward(logits, labels, N, C, weight|null, ignoreIndex, labelSmoothing, reduction, out)
//   crossEntropyBackward(logits, labels, N, C, weight|null, ignoreIndex, labelSmoothing, reduction, gradOut, dx)
//   nllLossForward(logProbs, labels, N, C, weight|null, ignoreIndex, reduction, out)
//   nllLossBackward(labels, N, C, weight|null, ignoreIndex, reduction, gradOut, dx)
//   mseLossForward(input, target, n, reduction, out)
//   mseLossBackward(input, target, n, reduction, gradOut, dx)
// labels: Int32Array; reduction: 'mean' | 'sum' | 'none'. Each has a *Reference twin.
#include <cmath>

#include "../kernels/softmax_xent.h"
#include "../runtime/threads.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

const float* optionalFloats(const Napi::CallbackInfo& info, size_t i, const char* op,
                            const char* name, int64_t minLength) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return getFloats(info, i, op, name, minLength).data;
}

Reduction getReduction(const Napi::CallbackInfo& info, size_t i, const char* op) {
  const std::string r = getString(info, i, op, "reduction");
  if (r == "mean") return Reduction::mean;
  if (r == "sum") return Reduction::sum;
  if (r == "none") return Reduction::none;
  throwRangeError(info.Env(), op,
                  "expected 'mean', 'sum' or 'none' for reduction but received '" + r + "'");
}

// Labels must lie in [0, C) or equal ignoreIndex: checked here, since the kernels index by them.
const int32_t* getLabels(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t N,
                         int64_t C, int64_t ignoreIndex) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwTypeError(info.Env(), op, "expected an Int32Array for labels");
  auto array = v.As<Napi::Int32Array>();
  if (array.ArrayBuffer().IsDetached()) throwTypeError(info.Env(), op, "labels has been disposed");
  if (static_cast<int64_t>(array.ElementLength()) < N)
    throwRangeError(info.Env(), op,
                    "labels holds " + std::to_string(array.ElementLength()) +
                        " elements but the batch needs " + std::to_string(N));
  const int32_t* labels = array.Data();
  for (int64_t n = 0; n < N; ++n) {
    const int64_t t = labels[n];
    if (t != ignoreIndex && (t < 0 || t >= C))
      throwRangeError(info.Env(), op,
                      "expected labels in [0, " + std::to_string(C) + ") (or ignoreIndex " +
                          std::to_string(ignoreIndex) + ") but received labels[" +
                          std::to_string(n) + "] = " + std::to_string(t));
  }
  return labels;
}

int64_t reducedLength(Reduction r, int64_t n) { return r == Reduction::none ? n : 1; }

using RowFn = void (*)(const float*, float*, int64_t, int64_t);
using RowBackwardFn = void (*)(const float*, const float*, float*, int64_t, int64_t);

template <RowFn kFn>
Napi::Value RowForward(const Napi::CallbackInfo& info, const char* op) {
  requireArgs(info, op, 4);
  const int64_t rows = getIndex(info, 2, op, "rows"), C = getIndex(info, 3, op, "C");
  const int64_t size = checkedMul(info.Env(), op, rows, C);
  const float* x = getFloats(info, 0, op, "x", size).data;
  float* y = getFloats(info, 1, op, "y", size).data;
  KernelCallScope scope;
  kFn(x, y, rows, C);
  return info.Env().Undefined();
}

template <RowBackwardFn kFn>
Napi::Value RowBackward(const Napi::CallbackInfo& info, const char* op) {
  requireArgs(info, op, 5);
  const int64_t rows = getIndex(info, 3, op, "rows"), C = getIndex(info, 4, op, "C");
  const int64_t size = checkedMul(info.Env(), op, rows, C);
  const float* y = getFloats(info, 0, op, "y", size).data;
  const float* dy = getFloats(info, 1, op, "dy", size).data;
  float* dx = getFloats(info, 2, op, "dx", size).data;
  KernelCallScope scope;
  kFn(y, dy, dx, rows, C);
  return info.Env().Undefined();
}

struct ClassArgs {
  const int32_t* labels;
  int64_t N, C;
  ClassLossOptions options;
};

// Parses (labels, N, C, weight, ignoreIndex[, labelSmoothing], reduction) starting at `first`.
ClassArgs parseClassArgs(const Napi::CallbackInfo& info, size_t first, const char* op,
                         bool smoothing) {
  ClassArgs a;
  a.N = getIndex(info, first + 1, op, "N");
  a.C = getIndex(info, first + 2, op, "C");
  a.options.weight = optionalFloats(info, first + 3, op, "weight", a.C);
  a.options.ignoreIndex = getIntIn(info, first + 4, op, "ignoreIndex", INT32_MIN, INT32_MAX);
  size_t next = first + 5;
  if (smoothing) {
    const double eps = getNumber(info, next++, op, "labelSmoothing");
    if (!(eps >= 0.0 && eps <= 1.0))
      throwRangeError(info.Env(), op,
                      "expected labelSmoothing in [0, 1] but received " + std::to_string(eps));
    a.options.labelSmoothing = static_cast<float>(eps);
  }
  a.options.reduction = getReduction(info, next, op);
  a.labels = getLabels(info, first, op, a.N, a.C, a.options.ignoreIndex);
  return a;
}

template <bool kReference>
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "crossEntropyForwardReference" : "crossEntropyForward";
  requireArgs(info, op, 9);
  const ClassArgs a = parseClassArgs(info, 1, op, true);
  const float* logits = getFloats(info, 0, op, "logits", checkedMul(info.Env(), op, a.N, a.C)).data;
  float* out = getFloats(info, 8, op, "out", reducedLength(a.options.reduction, a.N)).data;
  KernelCallScope scope;
  (kReference ? ref::crossEntropyForward : crossEntropyForward)(logits, a.labels, a.N, a.C,
                                                                a.options, out);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "crossEntropyBackwardReference" : "crossEntropyBackward";
  requireArgs(info, op, 10);
  const ClassArgs a = parseClassArgs(info, 1, op, true);
  const int64_t size = checkedMul(info.Env(), op, a.N, a.C);
  const float* logits = getFloats(info, 0, op, "logits", size).data;
  const float* gradOut =
      getFloats(info, 8, op, "gradOut", reducedLength(a.options.reduction, a.N)).data;
  float* dx = getFloats(info, 9, op, "dx", size).data;
  KernelCallScope scope;
  (kReference ? ref::crossEntropyBackward : crossEntropyBackward)(logits, a.labels, a.N, a.C,
                                                                  a.options, gradOut, dx);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value NllLossForward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "nllLossForwardReference" : "nllLossForward";
  requireArgs(info, op, 8);
  const ClassArgs a = parseClassArgs(info, 1, op, false);
  const float* logProbs =
      getFloats(info, 0, op, "logProbs", checkedMul(info.Env(), op, a.N, a.C)).data;
  float* out = getFloats(info, 7, op, "out", reducedLength(a.options.reduction, a.N)).data;
  KernelCallScope scope;
  (kReference ? ref::nllLossForward : nllLossForward)(logProbs, a.labels, a.N, a.C, a.options,
                                                      out);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value NllLossBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "nllLossBackwardReference" : "nllLossBackward";
  requireArgs(info, op, 8);
  const ClassArgs a = parseClassArgs(info, 0, op, false);
  const float* gradOut =
      getFloats(info, 6, op, "gradOut", reducedLength(a.options.reduction, a.N)).data;
  float* dx = getFloats(info, 7, op, "dx", checkedMul(info.Env(), op, a.N, a.C)).data;
  KernelCallScope scope;
  (kReference ? ref::nllLossBackward : nllLossBackward)(a.labels, a.N, a.C, a.options, gradOut,
                                                        dx);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value MseLossForward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "mseLossForwardReference" : "mseLossForward";
  requireArgs(info, op, 5);
  const int64_t n = getIndex(info, 2, op, "n");
  const Reduction r = getReduction(info, 3, op);
  const float* input = getFloats(info, 0, op, "input", n).data;
  const float* target = getFloats(info, 1, op, "target", n).data;
  float* out = getFloats(info, 4, op, "out", reducedLength(r, n)).data;
  KernelCallScope scope;
  (kReference ? ref::mseLossForward : mseLossForward)(input, target, n, r, out);
  return info.Env().Undefined();
}

template <bool kReference>
Napi::Value MseLossBackward(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "mseLossBackwardReference" : "mseLossBackward";
  requireArgs(info, op, 6);
  const int64_t n = getIndex(info, 2, op, "n");
  const Reduction r = getReduction(info, 3, op);
  const float* input = getFloats(info, 0, op, "input", n).data;
  const float* target = getFloats(info, 1, op, "target", n).data;
  const float* gradOut = getFloats(info, 4, op, "gradOut", reducedLength(r, n)).data;
  float* dx = getFloats(info, 5, op, "dx", n).data;
  KernelCallScope scope;
  (kReference ? ref::mseLossBackward : mseLossBackward)(input, target, n, r, gradOut, dx);
  return info.Env().Undefined();
}

void set(Napi::Env env, Napi::Object exports, const char* name, Napi::Function::Callback fn) {
  exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace

void registerLoss(Napi::Env env, Napi::Object exports) {
  set(env, exports, "softmaxForward",
      [](const Napi::CallbackInfo& i) { return RowForward<softmaxForward>(i, "softmaxForward"); });
  set(env, exports, "softmaxForwardReference", [](const Napi::CallbackInfo& i) {
    return RowForward<ref::softmaxForward>(i, "softmaxForwardReference");
  });
  set(env, exports, "logSoftmaxForward", [](const Napi::CallbackInfo& i) {
    return RowForward<logSoftmaxForward>(i, "logSoftmaxForward");
  });
  set(env, exports, "logSoftmaxForwardReference", [](const Napi::CallbackInfo& i) {
    return RowForward<ref::logSoftmaxForward>(i, "logSoftmaxForwardReference");
  });
  set(env, exports, "softmaxBackward", [](const Napi::CallbackInfo& i) {
    return RowBackward<softmaxBackward>(i, "softmaxBackward");
  });
  set(env, exports, "softmaxBackwardReference", [](const Napi::CallbackInfo& i) {
    return RowBackward<ref::softmaxBackward>(i, "softmaxBackwardReference");
  });
  set(env, exports, "logSoftmaxBackward", [](const Napi::CallbackInfo& i) {
    return RowBackward<logSoftmaxBackward>(i, "logSoftmaxBackward");
  });
  set(env, exports, "logSoftmaxBackwardReference", [](const Napi::CallbackInfo& i) {
    return RowBackward<ref::logSoftmaxBackward>(i, "logSoftmaxBackwardReference");
  });
  set(env, exports, "crossEntropyForward", CrossEntropyForward<false>);
  set(env, exports, "crossEntropyForwardReference", CrossEntropyForward<true>);
  set(env, exports, "crossEntropyBackward", CrossEntropyBackward<false>);
  set(env, exports, "crossEntropyBackwardReference", CrossEntropyBackward<true>);
  set(env, exports, "nllLossForward", NllLossForward<false>);
  set(env, exports, "nllLossForwardReference", NllLossForward<true>);
  set(env, exports, "nllLossBackward", NllLossBackward<false>);
  set(env, exports, "nllLossBackwardReference", NllLossBackward<true>);
  set(env, exports, "mseLossForward", MseLossForward<false>);
  set(env, exports, "mseLossForwardReference", MseLossForward<true>);
  set(env, exports, "mseLossBackward", MseLossBackward<false>);
  set(env, exports, "mseLossBackwardReference", MseLossBackward<true>);
}

}  // namespace convkit::binding
