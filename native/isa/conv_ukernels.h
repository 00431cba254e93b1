// Declarations of the per-ISA direct grouped-convolution kernels (definitions in
// native/isa/<isa>/conv_grouped.cc, bodies in native/isa/common/conv_grouped_impl.h).
// Declarations only: included by baseline translation units.
//
// Lanes run over output channels (forward, backward-weights) or input channels
// (backward-data). The input rows are expanded once per row into a small cache so that every
// lane of a vector reads the input channel its own group needs:
//   xe[iw][j][co] = x[iw][group(co) * cig + j]        (forward, backward-weights)
//   dye[ow][jo][ci] = dy[ow][group(ci) * cog + jo]    (backward-data)
// and the weight is repacked block-diagonally to match, so the inner loops are plain
// contiguous vector FMAs with no shuffles. Channel vectors are padded to kConvLanePad.
// Groups of exactly 4 x 4 channels take the rotation kernels declared at the end instead.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convkit {
namespace isa {

constexpr int64_t kConvLanePad = 16;  // multiple of every ISA's vector width

struct ConvGroupedShape {
  int64_t N, H, W, Cin, Cout, KH, KW, sh, sw, pt, pl, dh, dw, OH, OW, cig, cog;
  int64_t CinPad, CoutPad;  // channel counts rounded up to kConvLanePad
};

// Output rows [row0, row1) (row = n * OH + oh). wr: [KH*KW*cig][CoutPad]. Epilogue: bias
// [Cout] or null, residual (like y) or null, activation 0/1/2. scratch: convGroupedScratch
// floats, exclusive to the caller.
typedef void (*ConvGroupedForwardFn)(const ConvGroupedShape* s, const float* x, const float* wr,
                                     const float* bias, const float* residual, int activation,
                                     float* y, int64_t row0, int64_t row1, float* scratch);
// Input rows [row0, row1) (row = n * H + ih) of dx, overwritten. wt: [KH*KW*cog][CinPad].
typedef void (*ConvGroupedBackwardDataFn)(const ConvGroupedShape* s, const float* dy,
                                          const float* wt, float* dx, int64_t row0, int64_t row1,
                                          float* scratch);
// Adds output rows [row0, row1)'s contribution to dwr [KH*KW*cig][CoutPad].
typedef void (*ConvGroupedBackwardWeightsFn)(const ConvGroupedShape* s, const float* x,
                                             const float* dy, float* dwr, int64_t row0,
                                             int64_t row1, float* scratch);

// Scratch floats each kind of call needs (0 forward, 1 backward-data, 2 backward-weights).
size_t convGroupedScratch(const ConvGroupedShape* s, int kind);

#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_CONV_GROUPED_ISAS(X) X(avx512) X(avx2) X(generic)
#else
#define CONVKIT_CONV_GROUPED_ISAS(X) X(generic)
#endif

#define CONVKIT_DECLARE_CONV_GROUPED(isa)                                                     \
  void conv_grouped_forward__##isa(const ConvGroupedShape*, const float*, const float*,     \
                                   const float*, const float*, int, float*, int64_t, int64_t, \
                                   float*);                                                 \
  void conv_grouped_backward_data__##isa(const ConvGroupedShape*, const float*, const float*, \
                                         float*, int64_t, int64_t, float*);                 \
  void conv_grouped_backward_weights__##isa(const ConvGroupedShape*, const float*,          \
                                            const float*, float*, int64_t, int64_t, float*);
CONVKIT_CONV_GROUPED_ISAS(CONVKIT_DECLARE_CONV_GROUPED)
#undef CONVKIT_DECLARE_CONV_GROUPED

// Groups of exactly 4 input and 4 output channels (Cin == Cout; definitions in
// native/isa/<isa>/conv_grouped4.cc, body in native/isa/common/conv_grouped4_impl.h): no
// expanded rows; each input pixel's 4 in-group rotations meet pre-rotated weights
//   w4[tap][R][4g+o] = w[4g+o][(o+R)%4][tap]           ([KH*KW*4][CoutPad], pad lanes zero)
// Forward: output rows [row0, row1) of y, epilogue as ConvGroupedForwardFn.
typedef void (*ConvGrouped4ForwardFn)(const ConvGroupedShape* s, const float* x, const float* w4,
                                      const float* bias, const float* residual, int activation,
                                      float* y, int64_t row0, int64_t row1);
// Backward-weights: adds output rows [row0, row1)'s sum of dy[4g+o] * x[4g+(o+R)%4] at each
// tap to dw4 (laid out like w4), and their dy column sums to dbias [CoutPad] when not null.
typedef void (*ConvGrouped4BackwardWeightsFn)(const ConvGroupedShape* s, const float* x,
                                              const float* dy, float* dw4, float* dbias,
                                              int64_t row0, int64_t row1);

#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_CONV_GROUPED4_ISAS(X) X(avx512) X(avx2)
#else
#define CONVKIT_CONV_GROUPED4_ISAS(X)
#endif

#define CONVKIT_DECLARE_CONV_GROUPED4(isa)                                                     \
  void conv_grouped4_forward__##isa(const ConvGroupedShape*, const float*, const float*,     \
                                    const float*, const float*, int, float*, int64_t, int64_t); \
  void conv_grouped4_backward_weights__##isa(const ConvGroupedShape*, const float*,          \
                                             const float*, float*, float*, int64_t, int64_t);
CONVKIT_CONV_GROUPED4_ISAS(CONVKIT_DECLARE_CONV_GROUPED4)
#undef CONVKIT_DECLARE_CONV_GROUPED4

}  // namespace isa
}  // namespace convkit
