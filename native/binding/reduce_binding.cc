// reduceSum(input, shape, axes, scale, out): scale * sum over `axes` (non-negative, distinct),
// out holding the kept dims. Mean = scale 1 / count. And its scalar reference (for tests).
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

}  // namespace

void registerReduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduceSum", Napi::Function::New(env, ReduceSum<false>, "reduceSum"));
  exports.Set("reduceSumReference", Napi::Function::New(env, ReduceSum<true>, "reduceSumReference"));
}

}  // namespace convkit::binding
