// Per-ISA batch-norm row kernels (declarations only; bodies in isa/<isa>/batchnorm.cc, all
// built from isa/common/batchnorm_impl.h). Rows are NHWC rows of C channels; x's (and dx's)
// rows are ldx >= C floats apart (a DenseNet block's shared buffer: its first C channels are
// normalised), every other tensor's rows C apart. `activation` is
// a convkit::BnActivation. The driver (kernels/batchnorm.cc) splits rows over threads.
#pragma once

#include <cstdint>

#define CONVKIT_BN_UKERNELS(ISA)                                                              \
  /* Merges the statistics of rows [0, rows) into (count, mean[C], m2[C]) with Chan's      \
     formula, one block of rows at a time, summed in float around the mean so far.        \
     scratch: 3*C floats. */                                                               \
  void f32_bn_stats__##ISA(const float* x, int64_t rows, int64_t C, int64_t ldx,          \
                           double* count, double* mean, double* m2, float* scratch);       \
  /* y = ((x - meanHi) - meanLo) * scale + beta (+ residual, rows x C, when not null),    \
     then the activation. stream: write y with non-temporal stores (when C is whole       \
     vectors and y aligned). */                                                            \
  void f32_bn_apply__##ISA(const float* x, float* y, int64_t rows, int64_t C, int64_t ldx, \
                           const float* meanHi, const float* meanLo, const float* scale,   \
                           const float* beta, const float* residual, int activation,       \
                           bool stream);                                                   \
  /* sumG += g, sumGX += g * (x - mean), g = dy masked by the activation of y, or, when   \
     affine ([meanHi | meanLo | scale | shift], C floats each, as given to apply) is not    \
     null, of the pre-activation recomputed from x (the same mask; y is not read).          \
     gOut (rows x C, may be null; not without an activation): also stores g there.         \
     scratch: 2*C floats. */                                                               \
  void f32_bn_backward_sums__##ISA(const float* x, const float* dy, const float* y,        \
                                   int64_t rows, int64_t C, int64_t ldx, const float* mean,\
                                   const float* affine, int activation, double* sumG,      \
                                   double* sumGX, float* scratch, float* gOut);            \
  /* dx = a * g + b * (x - mean) + d (accumulate: dx += that), g as above; stream as for  \
     apply (not when accumulating). */                                                     \
  void f32_bn_backward_apply__##ISA(const float* x, const float* dy, const float* y,       \
                                    float* dx, int64_t rows, int64_t C, int64_t ldx,       \
                                    const float* mean, const float* affine, const float* a, \
                                    const float* b, const float* d, int activation,        \
                                    bool stream, bool accumulate);                          \
  /* Batch norm + activation scaled per sample and channel (a squeeze-and-excitation after  \
     it; isa/common/batchnorm_excite_impl.h): `width` channels of rows C floats apart,      \
     per-channel arrays offset to the first, h = act(pre(x)) recomputed with affine.        \
     sums[c] += the sum of h over the rows. */                                              \
  void f32_bn_activation_sums__##ISA(const float* x, int64_t rows, int64_t width, int64_t C, \
                                     const float* affine, int activation, float* sums);     \
  /* out = h * s[c]. stream as for apply. */                                                \
  void f32_bn_apply_scaled__##ISA(const float* x, float* out, int64_t rows, int64_t width,   \
                                  int64_t C, const float* affine, const float* s,            \
                                  int activation, bool stream);                              \
  /* sums (five parts C floats apart) += over the rows: dOut * h, dOut * t,                 \
     dOut * t * (x - mean), t, t * (x - mean); t = act'(pre(x)). */                         \
  void f32_bn_excite_backward_sums__##ISA(const float* x, const float* dOut, int64_t rows,   \
                                          int64_t width, int64_t C, const float* mean,       \
                                          const float* affine, int activation, float* sums); \
  /* dx = a * (dOut * s + q) * t + b * (x - mean) + d. */                                   \
  void f32_bn_excite_backward_apply__##ISA(                                                  \
      const float* x, const float* dOut, float* dx, int64_t rows, int64_t width, int64_t C,  \
      const float* mean, const float* affine, const float* s, const float* q, const float* a, \
      const float* b, const float* d, int activation, bool stream);

namespace convkit::isa {
CONVKIT_BN_UKERNELS(avx512)
CONVKIT_BN_UKERNELS(avx2)
CONVKIT_BN_UKERNELS(generic)
}  // namespace convkit::isa
