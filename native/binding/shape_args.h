// Argument helpers shared by the pool / elementwise / reduce / shape bindings: shapes given as
// JS arrays of integers, Int32Array buffers and element counts of shapes. Same error style as
// args.h ("convkit.<op>: ...").
#pragma once

#include <string>
#include <vector>

#include "args.h"

namespace convkit::binding {

using Shape = std::vector<int64_t>;

inline std::string shapeString(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Product of the dims; RangeError when it leaves the exact range of a JS number.
inline int64_t shapeSize(const Napi::Env& env, const char* op, const Shape& s) {
  int64_t size = 1;
  for (int64_t d : s) size = checkedMul(env, op, size, d);
  return size;
}

// An array of non-negative integers (at most 4096 of them): axes, permutations, row lengths.
inline Shape getIntList(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray())
    throwTypeError(env, op, std::string("expected an array of integers for ") + name);
  Napi::Array array = info[i].As<Napi::Array>();
  if (array.Length() > 4096)
    throwRangeError(env, op, std::string(name) + " has " + std::to_string(array.Length()) +
                                 " dimensions; at most 4096 are supported");
  Shape shape;
  for (uint32_t k = 0; k < array.Length(); ++k) {
    Napi::Value v = array.Get(k);
    if (!v.IsNumber())
      throwTypeError(env, op, std::string("expected an integer for ") + name + "[" + std::to_string(k) + "]");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 9007199254740992.0) || d != double(int64_t(d)))
      throwRangeError(env, op, std::string("expected a non-negative integer for ") + name + "[" +
                                   std::to_string(k) + "] but received " + std::to_string(d));
    shape.push_back(int64_t(d));
  }
  return shape;
}

// A shape: an integer list whose element count stays within the exact range of a JS number.
inline Shape getShape(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Shape shape = getIntList(info, i, op, name);
  shapeSize(info.Env(), op, shape);
  return shape;
}

struct IntView {
  int32_t* data;
  int64_t length;
};

inline IntView getInts(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                       int64_t minLength) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwTypeError(info.Env(), op, std::string("expected an Int32Array for ") + name);
  auto array = v.As<Napi::Int32Array>();
  if (array.ArrayBuffer().IsDetached())
    throwTypeError(info.Env(), op, std::string(name) + " has been detached");
  const int64_t length = static_cast<int64_t>(array.ElementLength());
  if (length < minLength)
    throwRangeError(info.Env(), op, std::string(name) + " holds " + std::to_string(length) +
                                        " elements but the shape needs " + std::to_string(minLength));
  return {array.Data(), length};
}

}  // namespace convkit::binding
