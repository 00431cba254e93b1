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
// Groups of 4 x 4, 8 x 8 and 16 x 16 channels take the rotation kernels declared at the end
// instead where the ISA has them.
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

// Groups of G = 4, 8 or 16 input and output channels (Cin == Cout, G <= the ISA's vector
// width: kConvRotateMaxGroup; definitions in native/isa/<isa>/conv_grouped_rotate.cc, body in
// native/isa/common/conv_grouped_rotate_impl.h): no expanded rows; each input pixel's G in-group
// rotations meet pre-rotated weights
//   w4[tap][R][Gg+o] = w[Gg+o][rotatedChannel(R, o)][tap]   ([KH*KW*G][CoutPad], pad lanes 0)
// Rotation R = 4A + B takes, for output channel o of a group, the input channel whose 128-bit
// block (4 channels) is o's block xor A and whose place in that block is o's plus B (mod 4).
constexpr int rotatedChannel(int R, int o) {
  return 4 * ((o >> 2) ^ (R >> 2)) + (((o & 3) + (R & 3)) & 3);
}
// Forward: output rows [row0, row1) of y, epilogue as ConvGroupedForwardFn; G = s->cig.
typedef void (*ConvGroupedRotateForwardFn)(const ConvGroupedShape* s, const float* x,
                                           const float* w4, const float* bias,
                                           const float* residual, int activation, float* y,
                                           int64_t row0, int64_t row1);
// Backward-weights: adds output rows [row0, row1)'s sum of dy[Gg+o] * x[Gg+rotatedChannel(R, o)]
// at each tap to dw4 (laid out like w4), and their dy column sums to dbias [CoutPad] when not
// null.
typedef void (*ConvGroupedRotateBackwardWeightsFn)(const ConvGroupedShape* s, const float* x,
                                                   const float* dy, float* dw4, float* dbias,
                                                   int64_t row0, int64_t row1);

// X(isa, largest G): a group must fit one vector.
#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_CONV_GROUPED_ROTATE_ISAS(X) X(avx512, 16) X(avx2, 8)
#else
#define CONVKIT_CONV_GROUPED_ROTATE_ISAS(X)
#endif

#define CONVKIT_DECLARE_CONV_GROUPED_ROTATE(isa, maxGroup)                                    \
  void conv_grouped_rotate_forward__##isa(const ConvGroupedShape*, const float*, const float*, \
                                          const float*, const float*, int, float*, int64_t,    \
                                          int64_t);                                            \
  void conv_grouped_rotate_backward_weights__##isa(const ConvGroupedShape*, const float*,      \
                                                   const float*, float*, float*, int64_t,      \
                                                   int64_t);
CONVKIT_CONV_GROUPED_ROTATE_ISAS(CONVKIT_DECLARE_CONV_GROUPED_ROTATE)
#undef CONVKIT_DECLARE_CONV_GROUPED_ROTATE

}  // namespace isa
}  // namespace convkit
