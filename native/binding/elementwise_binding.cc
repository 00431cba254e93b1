// binaryBroadcast(op, a, aShape, b, bShape, out, outShape) with op 'add' | 'sub' | 'mul' | 'div'
// (NumPy broadcasting; a scalar is shape []), and its scalar reference (for tests).
#include "../kernels/elementwise.h"
#include "../runtime/threads.h"
#include "registry.h"
#include "shape_args.h"

namespace convkit::binding {

namespace {

BinaryOp parseOp(const Napi::CallbackInfo& info, const char* op) {
  const std::string name = getString(info, 0, op, "op");
  if (name == "add") return BinaryOp::add;
  if (name == "sub") return BinaryOp::sub;
  if (name == "mul") return BinaryOp::mul;
  if (name == "div") return BinaryOp::div;
  throwRangeError(info.Env(), op, "expected 'add', 'sub', 'mul' or 'div' for op but received '" + name + "'");
}

void checkBroadcasts(const Napi::Env& env, const char* op, const char* name, const Shape& shape,
                     const Shape& outShape) {
  bool ok = shape.size() <= outShape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    const int64_t d = shape[shape.size() - 1 - i], o = outShape[outShape.size() - 1 - i];
    ok = d == o || d == 1;
  }
  if (!ok)
    throwRangeError(env, op, "incompatible broadcast shapes: " + std::string(name) + " " +
                                 shapeString(shape) + " does not broadcast to " + shapeString(outShape));
}

template <bool kReference>
Napi::Value BinaryBroadcast(const Napi::CallbackInfo& info) {
  const char* op = kReference ? "binaryBroadcastReference" : "binaryBroadcast";
  Napi::Env env = info.Env();
  requireArgs(info, op, 7);
  const BinaryOp which = parseOp(info, op);
  const Shape aShape = getShape(info, 2, op, "aShape");
  const Shape bShape = getShape(info, 4, op, "bShape");
  const Shape outShape = getShape(info, 6, op, "outShape");
  checkBroadcasts(env, op, "a", aShape, outShape);
  checkBroadcasts(env, op, "b", bShape, outShape);
  const FloatView a = getFloats(info, 1, op, "a", shapeSize(env, op, aShape));
  const FloatView b = getFloats(info, 3, op, "b", shapeSize(env, op, bShape));
  const FloatView out = getFloats(info, 5, op, "out", shapeSize(env, op, outShape));
  KernelCallScope scope;
  (kReference ? ref::binaryBroadcast : binaryBroadcast)(which, a.data, aShape, b.data, bShape,
                                                        out.data, outShape);
  return env.Undefined();
}

}  // namespace

void registerElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("binaryBroadcast", Napi::Function::New(env, BinaryBroadcast<false>, "binaryBroadcast"));
  exports.Set("binaryBroadcastReference",
              Napi::Function::New(env, BinaryBroadcast<true>, "binaryBroadcastReference"));
}

}  // namespace convkit::binding
