// Filling tensors with random values from a counter-based generator: element i gets
// hash(seed, i), so the values depend on neither the thread count nor the ISA path, and one
// 64-bit seed drawn from the JS generator fixes the whole tensor (initialisation of big nets
// in milliseconds instead of seconds of JS loops).
#pragma once

#include <cstdint>

namespace convkit {

// Uniform on [low, high).
void fillUniform(float* out, int64_t n, float low, float high, uint64_t seed);
// Normal(mean, std) by Box-Muller on pairs of hashed uniforms.
void fillNormal(float* out, int64_t n, float mean, float std, uint64_t seed);

}  // namespace convkit
