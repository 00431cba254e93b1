#include "args.h"

#include <cmath>
#include <limits>

namespace convkit::binding {

namespace {
std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (std::isnan(d)) return "NaN";
    std::string s = std::to_string(d);
    if (d == std::floor(d) && std::fabs(d) < 1e15) s = std::to_string(static_cast<int64_t>(d));
    return s;
  }
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}
}  // namespace

void throwTypeError(const Napi::Env& env, const std::string& op, const std::string& what) {
  throw Napi::TypeError::New(env, "convkit." + op + ": " + what);
}

void throwRangeError(const Napi::Env& env, const std::string& op, const std::string& what) {
  throw Napi::RangeError::New(env, "convkit." + op + ": " + what);
}

void requireArgs(const Napi::CallbackInfo& info, const char* op, size_t count) {
  if (info.Length() < count)
    throwTypeError(info.Env(), op,
                   "expected " + std::to_string(count) + " arguments but received " +
                       std::to_string(info.Length()));
}

int64_t getIntIn(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                 int64_t lo, int64_t hi) {
  Napi::Value v = info[i];
  if (!v.IsNumber())
    throwTypeError(info.Env(), op,
                   std::string("expected an integer for ") + name + " but received " +
                       describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d != std::floor(d))
    throwRangeError(info.Env(), op,
                    std::string("expected an integer for ") + name + " but received " +
                        describe(v));
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throwRangeError(info.Env(), op,
                    std::string("expected ") + name + " in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "] but received " + describe(v));
  return static_cast<int64_t>(d);
}

int64_t getIndex(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  // 2^53: beyond it a JS number no longer holds every integer.
  return getIntIn(info, i, op, name, 0, int64_t(1) << 53);
}

double getNumber(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber())
    throwTypeError(info.Env(), op,
                   std::string("expected a number for ") + name + " but received " +
                       describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

bool getBool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean())
    throwTypeError(info.Env(), op,
                   std::string("expected a boolean for ") + name + " but received " +
                       describe(v));
  return v.As<Napi::Boolean>().Value();
}

std::string getString(const Napi::CallbackInfo& info, size_t i, const char* op,
                      const char* name) {
  Napi::Value v = info[i];
  if (!v.IsString())
    throwTypeError(info.Env(), op,
                   std::string("expected a string for ") + name + " but received " +
                       describe(v));
  return v.As<Napi::String>().Utf8Value();
}

FloatView getFloats(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                    int64_t minLength) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwTypeError(info.Env(), op,
                   std::string("expected a Float32Array for ") + name + " but received " +
                       describe(v));
  auto array = v.As<Napi::Float32Array>();
  if (array.ArrayBuffer().IsDetached())
    throwTypeError(info.Env(), op, std::string(name) + " has been disposed");
  const int64_t length = static_cast<int64_t>(array.ElementLength());
  if (length < minLength)
    throwRangeError(info.Env(), op,
                    std::string(name) + " holds " + std::to_string(length) +
                        " elements but the shape needs " + std::to_string(minLength));
  return {array.Data(), length};
}

double* getDoubles(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                   int64_t length) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throwTypeError(info.Env(), op,
                   std::string("expected a Float64Array for ") + name + " but received " +
                       describe(v));
  auto array = v.As<Napi::Float64Array>();
  if (static_cast<int64_t>(array.ElementLength()) != length)
    throwRangeError(info.Env(), op,
                    std::string(name) + " holds " + std::to_string(array.ElementLength()) +
                        " elements, expected " + std::to_string(length));
  return array.Data();
}

int64_t checkedMul(const Napi::Env& env, const char* op, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > (int64_t(1) << 53))
    throwRangeError(env, op,
                    "size " + std::to_string(a) + " x " + std::to_string(b) + " overflows");
  return r;
}

int64_t checkedAdd(const Napi::Env& env, const char* op, int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r) || r > (int64_t(1) << 53))
    throwRangeError(env, op,
                    "size " + std::to_string(a) + " + " + std::to_string(b) + " overflows");
  return r;
}

int64_t matrixSpan(const Napi::Env& env, const char* op, int64_t rows, int64_t cols,
                   int64_t ld) {
  if (rows == 0 || cols == 0) return 0;
  return checkedAdd(env, op, checkedMul(env, op, rows - 1, ld), cols);
}

}  // namespace convkit::binding
