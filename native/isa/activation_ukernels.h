// Per-ISA pointwise activation loops (declarations only; bodies in isa/<isa>/activation.cc,
// all three built from isa/common/activation_impl.h). `kind` is a convkit::ActivationKind.
// Each call processes n elements of one thread's chunk; any n, any alignment.
#pragma once

#include <cstdint>

namespace convkit::isa {

void f32_activation_forward__avx512(int kind, float param, const float* x, float* y, int64_t n);
void f32_activation_forward__avx2(int kind, float param, const float* x, float* y, int64_t n);
void f32_activation_forward__generic(int kind, float param, const float* x, float* y, int64_t n);

void f32_activation_backward__avx512(int kind, float param, const float* x, const float* dy,
                                     float* dx, int64_t n);
void f32_activation_backward__avx2(int kind, float param, const float* x, const float* dy,
                                   float* dx, int64_t n);
void f32_activation_backward__generic(int kind, float param, const float* x, const float* dy,
                                      float* dx, int64_t n);

}  // namespace convkit::isa
