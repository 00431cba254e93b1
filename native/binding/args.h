// Argument checking for the binding. The TypeScript layer validates first and hands over
// fully-defaulted values; this layer re-checks everything that could read or write out of
// bounds, because native code must never trust a length. Errors name the op and the value.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace convkit::binding {

// Throws a JS TypeError / RangeError (as a C++ exception caught by node-addon-api).
[[noreturn]] void throwTypeError(const Napi::Env& env, const std::string& op,
                                 const std::string& what);
[[noreturn]] void throwRangeError(const Napi::Env& env, const std::string& op,
                                  const std::string& what);

void requireArgs(const Napi::CallbackInfo& info, const char* op, size_t count);

// A non-negative integer that fits in int64 (and is a whole number).
int64_t getIndex(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
// An integer within [lo, hi].
int64_t getIntIn(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                 int64_t lo, int64_t hi);
double getNumber(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
bool getBool(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
std::string getString(const Napi::CallbackInfo& info, size_t i, const char* op,
                      const char* name);

// A Float64Array of exactly `length` elements (batch statistics: batchnorm.h's BatchStats).
double* getDoubles(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                   int64_t length);
struct FloatView {
  float* data;
  int64_t length;
};
// A Float32Array that is not detached (a disposed tensor's buffer is detached) and holds at
// least `minLength` elements.
FloatView getFloats(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                    int64_t minLength);

// a * b, or a RangeError when the product leaves int64 (sizes that overflow).
int64_t checkedMul(const Napi::Env& env, const char* op, int64_t a, int64_t b);
int64_t checkedAdd(const Napi::Env& env, const char* op, int64_t a, int64_t b);
// Elements needed for a rows x cols matrix with row stride ld (0 when empty).
int64_t matrixSpan(const Napi::Env& env, const char* op, int64_t rows, int64_t cols,
                   int64_t ld);

}  // namespace convkit::binding
