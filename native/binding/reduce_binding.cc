// reduceSum(input, shape, axes, scale, out): scale * sum over `axes` (non-negative, distinct),
// out holding the kept dims. Mean = scale 1 / count. spatialDot (reduce.h). And their scalar
// references (for tests).
#include "../kernels/reduce.h"
#include "../runtime/threads.h"
#include "registry.h"
#include "shape_args.h"

namespace convkit::binding {

namespace {

template <bool kReference>
Napi::Value ReduceSum(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "reduceSumReference" : "reduceSum";
  Napi::Env env = info.Env();
  requireArgs(info, op, 5);
  const Shape shape = getShape(info, 1, op, "shape");
  const Shape axes = getIntList(info, 2, op, "axes");
  std::vector<bool> reduced(shape.size(), false);
  for (int64_t axis : axes) {
    if (axis >= int64_t(shape.size()))
      throwRangeError(env, op, "axis " + std::to_string(axis) + " is out of range for shape " + shapeString(shape));
    if (reduced[axis])
      throwRangeError(env, op, "axis " + std::to_string(axis) + " appears twice in axes " + shapeString(axes));
    reduced[axis] = true;
  }
  const float scale = static_cast<float>(getNumber(info, 3, op, "scale"));
  int64_t outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!reduced[i]) outSize *= shape[i];
  const FloatView in = getFloats(info, 0, op, "input", shapeSize(env, op, shape));
  const FloatView out = getFloats(info, 4, op, "out", outSize);
  KernelCallScope scope;
  (kReference ? ref::reduceSum : reduceSum)(in.data, shape, reduced, scale, out.data);
  return env.Undefined();
}

// spatialDot(a, b, outer, inner, C, out): out[o][c] = sum over i of a * b at [o][i][c].
template <bool kReference>
Napi::Value SpatialDot(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "spatialDotReference" : "spatialDot";
  Napi::Env env = info.Env();
  requireArgs(info, op, 6);
  const int64_t outer = getIndex(info, 2, op, "outer");
  const int64_t inner = getIndex(info, 3, op, "inner");
  const int64_t C = getIndex(info, 4, op, "C");
  const int64_t size = checkedMul(env, op, checkedMul(env, op, outer, inner), C);
  const FloatView a = getFloats(info, 0, op, "a", size);
  const FloatView b = getFloats(info, 1, op, "b", size);
  const FloatView out = getFloats(info, 5, op, "out", checkedMul(env, op, outer, C));
  KernelCallScope scope;
  (kReference ? ref::spatialDot : spatialDot)(outer, inner, C, a.data, b.data, out.data);
  return env.Undefined();
}

}  // namespace

void registerReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum<false>, "reduceSum"));
  exports.Set("reduceSumReference", Napi::Function::New(env, ReduceSum<true>, "reduceSumReference"));
  exports.Set("spatialDot", Napi::Function::New(env, SpatialDot<false>, "spatialDot"));
  exports.Set("spatialDotReference", Napi::Function::New(env, SpatialDot<true>, "spatialDotReference"));
}

}  // namespace convkit::binding
