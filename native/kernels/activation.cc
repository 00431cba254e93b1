// Activation dispatch and threading: one parallel region per call, each thread a contiguous
// chunk (a multiple of 64 floats, so chunks start on cache lines when the array does).
#include "activation.h"

#include <cstring>

#include "../isa/activation_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

const char* const kNames[kActivationKindCount] = {
    "relu", "relu6", "leakyRelu", "sigmoid", "tanh", "silu", "hardswish", "hardsigmoid",
    "gelu", "geluTanh"};

using ForwardFn = void (*)(int, float, const float*, float*, int64_t);
using BackwardFn = void (*)(int, float, const float*, const float*, float*, int64_t);

ForwardFn forwardFor(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return isa::f32_activation_forward__avx512;
    case Isa::avx2:
      return isa::f32_activation_forward__avx2;
    case Isa::generic:
      break;
  }
  return isa::f32_activation_forward__generic;
}

BackwardFn backwardFor(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return isa::f32_activation_backward__avx512;
    case Isa::avx2:
      return isa::f32_activation_backward__avx2;
    case Isa::generic:
      break;
  }
  return isa::f32_activation_backward__generic;
}

// Below this many elements a second thread costs more (wake-up) than it saves.
constexpr int64_t kMinPerThread = 1 << 14;

template <typename Body>
void forEachChunk(int64_t n, Body body) {
  int threads = kernelThreads();
  if (n < 2 * kMinPerThread) threads = 1;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int64_t count = threadCount(), index = threadIndex();
    const int64_t per = ((n + count - 1) / count + 63) / 64 * 64;
    const int64_t begin = index * per < n ? index * per : n;
    const int64_t end = begin + per < n ? begin + per : n;
    if (end > begin) body(begin, end - begin);
  }
}

}  // namespace

bool parseActivationKind(const char* name, ActivationKind* out) {
  for (int k = 0; k < kActivationKindCount; ++k)
    if (std::strcmp(name, kNames[k]) == 0) {
      *out = static_cast<ActivationKind>(k);
      return true;
    }
  return false;
}

const char* activationKindName(ActivationKind kind) { return kNames[static_cast<int>(kind)]; }

void activationForward(ActivationKind kind, float param, const float* x, float* y, int64_t n) {
  const ForwardFn fn = forwardFor(activeIsa());
  forEachChunk(n, [&](int64_t begin, int64_t count) {
    fn(static_cast<int>(kind), param, x + begin, y + begin, count);
  });
}

void activationBackward(ActivationKind kind, float param, const float* x, const float* dy,
                        float* dx, int64_t n) {
  const BackwardFn fn = backwardFor(activeIsa());
  forEachChunk(n, [&](int64_t begin, int64_t count) {
    fn(static_cast<int>(kind), param, x + begin, dy + begin, dx + begin, count);
  });
}

}  // namespace convkit
