// concatRows / splitRows (concat and split along an axis, as [outer, rowLength_i] rows),
// permute, padConstant / padBackward, and their scalar references (for tests).
#include "../kernels/shape.h"
#include "../runtime/threads.h"
#include "registry.h"
#include "shape_args.h"

namespace convkit::binding {

namespace {

std::vector<FloatView> getFloatList(const Napi::CallbackInfo& info, size_t i, const char* op,
                                    const char* name) {
  if (!info[i].IsArray()) throwTypeError(info.Env(), op, std::string("expected an array of Float32Array for ") + name);
  Napi::Array array = info[i].As<Napi::Array>();
  std::vector<FloatView> views;
  for (uint32_t k = 0; k < array.Length(); ++k) {
    Napi::Value v = array.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throwTypeError(info.Env(), op, std::string("expected a Float32Array for ") + name + "[" + std::to_string(k) + "]");
    auto f = v.As<Napi::Float32Array>();
    if (f.ArrayBuffer().IsDetached())
      throwTypeError(info.Env(), op, std::string(name) + "[" + std::to_string(k) + "] has been disposed");
    views.push_back({f.Data(), int64_t(f.ElementLength())});
  }
  return views;
}

// (joined, parts, rowLengths, outer): concat writes joined, split writes the parts.
template <bool kSplit, bool kReference>
Napi::Value Rows(const Napi::CallbackInfo& info) {
  const char* op = kSplit ? (kReference ? "splitRowsReference" : "splitRows")
                          : (kReference ? "concatRowsReference" : "concatRows");
  Napi::Env env = info.Env();
  requireArgs(info, op, 4);
  const std::vector<FloatView> parts = getFloatList(info, 1, op, "parts");
  const Shape rowLengths = getIntList(info, 2, op, "rowLengths");
  const int64_t outer = getIndex(info, 3, op, "outer");
  if (rowLengths.size() != parts.size())
    throwRangeError(env, op, std::to_string(parts.size()) + " parts but " + std::to_string(rowLengths.size()) + " row lengths");
  int64_t rowLength = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t need = checkedMul(env, op, outer, rowLengths[i]);
    if (parts[i].length < need)
      throwRangeError(env, op, "parts[" + std::to_string(i) + "] holds " + std::to_string(parts[i].length) +
                                   " elements but needs " + std::to_string(need));
    rowLength = checkedAdd(env, op, rowLength, rowLengths[i]);
  }
  const FloatView joined = getFloats(info, 0, op, "joined", checkedMul(env, op, outer, rowLength));
  std::vector<float*> pointers;
  for (const FloatView& p : parts) pointers.push_back(p.data);
  KernelCallScope scope;
  if (kSplit) {
    (kReference ? ref::splitRows : splitRows)(outer, joined.data, pointers, rowLengths);
  } else {
    const std::vector<const float*> inputs(pointers.begin(), pointers.end());
    (kReference ? ref::concatRows : concatRows)(outer, inputs, rowLengths, joined.data);
  }
  return env.Undefined();
}

template <bool kReference>
Napi::Value Permute(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "permuteReference" : "permute";
  Napi::Env env = info.Env();
  requireArgs(info, op, 4);
  const Shape shape = getShape(info, 1, op, "shape");
  const Shape perm = getIntList(info, 2, op, "perm");
  std::vector<bool> seen(shape.size(), false);
  bool ok = perm.size() == shape.size();
  for (size_t i = 0; ok && i < perm.size(); ++i) {
    ok = perm[i] < int64_t(shape.size()) && !seen[perm[i]];
    if (ok) seen[perm[i]] = true;
  }
  if (!ok)
    throwRangeError(env, op, "perm " + shapeString(perm) + " is not a permutation of the " +
                                 std::to_string(shape.size()) + " axes of shape " + shapeString(shape));
  const int64_t size = shapeSize(env, op, shape);
  const FloatView in = getFloats(info, 0, op, "input", size);
  const FloatView out = getFloats(info, 3, op, "out", size);
  KernelCallScope scope;
  (kReference ? ref::permute : permute)(in.data, shape, perm, out.data);
  return env.Undefined();
}

// (source, shape, before, after, [value,] destination): shape is the unpadded one.
template <bool kBackward, bool kReference>
Napi::Value Pad(const Napi::CallbackInfo& info) {
  const char* op = kBackward ? (kReference ? "padBackwardReference" : "padBackward")
                             : (kReference ? "padConstantReference" : "padConstant");
  Napi::Env env = info.Env();
  requireArgs(info, op, kBackward ? 5 : 6);
  const Shape shape = getShape(info, 1, op, "shape");
  const Shape before = getIntList(info, 2, op, "before");
  const Shape after = getIntList(info, 3, op, "after");
  if (before.size() != shape.size() || after.size() != shape.size())
    throwRangeError(env, op, "before " + shapeString(before) + " and after " + shapeString(after) +
                                 " must have one entry per dim of " + shapeString(shape));
  Shape padded(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    padded[i] = checkedAdd(env, op, checkedAdd(env, op, shape[i], before[i]), after[i]);
  const int64_t size = shapeSize(env, op, shape), paddedSize = shapeSize(env, op, padded);
  KernelCallScope scope;
  if (kBackward) {
    const FloatView gout = getFloats(info, 0, op, "gradOutput", paddedSize);
    const FloatView gin = getFloats(info, 4, op, "gradInput", size);
    (kReference ? ref::padBackward : padBackward)(gout.data, shape, before, after, gin.data);
  } else {
    const float value = static_cast<float>(getNumber(info, 4, op, "value"));
    const FloatView in = getFloats(info, 0, op, "input", size);
    const FloatView out = getFloats(info, 5, op, "out", paddedSize);
    (kReference ? ref::padConstant : padConstant)(in.data, shape, before, after, value, out.data);
  }
  return env.Undefined();
}

// (rows, width, src, srcStride, srcOffset, dst, dstStride, dstOffset): see shape.h.
Napi::Value CopyColumns(const Napi::CallbackInfo& info) {
  const char* op = "copyColumns";
  Napi::Env env = info.Env();
  requireArgs(info, op, 8);
  const int64_t rows = getIndex(info, 0, op, "rows"), width = getIndex(info, 1, op, "width");
  const int64_t srcStride = getIndex(info, 3, op, "srcStride");
  const int64_t srcOffset = getIndex(info, 4, op, "srcOffset");
  const int64_t dstStride = getIndex(info, 6, op, "dstStride");
  const int64_t dstOffset = getIndex(info, 7, op, "dstOffset");
  auto need = [&](int64_t stride, int64_t offset, const char* name) {
    if (checkedAdd(env, op, offset, width) > stride)
      throwRangeError(env, op, std::string(name) + " columns [" + std::to_string(offset) + ", " +
                                   std::to_string(offset + width) + ") exceed its row of " +
                                   std::to_string(stride));
    return rows == 0 ? 0 : checkedMul(env, op, rows, stride);
  };
  const FloatView src = getFloats(info, 2, op, "src", need(srcStride, srcOffset, "src"));
  const FloatView dst = getFloats(info, 5, op, "dst", need(dstStride, dstOffset, "dst"));
  KernelCallScope scope;
  copyColumns(rows, width, src.data, srcStride, srcOffset, dst.data, dstStride, dstOffset);
  return env.Undefined();
}

}  // namespace

void registerShape(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Function::Callback fn) {
    exports.Set(name, Napi::Function::New(env, fn, name));
  };
  add("concatRows", Rows<false, false>);
  add("concatRowsReference", Rows<false, true>);
  add("splitRows", Rows<true, false>);
  add("splitRowsReference", Rows<true, true>);
  add("copyColumns", CopyColumns);
  add("permute", Permute<false>);
  add("permuteReference", Permute<true>);
  add("padConstant", Pad<false, false>);
  add("padConstantReference", Pad<false, true>);
  add("padBackward", Pad<true, false>);
  add("padBackwardReference", Pad<true, true>);
}

}  // namespace convkit::binding
