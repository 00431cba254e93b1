// Direct forward convolution for a few input channels (a network's stem: 3 of an RGB image), per ISA
// (body: native/isa/common/conv_stem_impl.h, compiled in native/isa/<isa>/conv_stem.cc; driver:
// native/kernels/conv_stem.cc). Declarations only: baseline TUs include this.
//
// im2col + GEMM is a poor fit there: K = KH*KW*Cin is small (27 for 3x3x3) and gathering it
// copies runs of only KW*Cin floats per kernel row, so the gather costs more than the GEMM.
// This kernel reads the zero-padded input in place: output pixels in strips, output channels
// as vectors, one broadcast input value per (pixel, tap) against the tap's weight vectors.
// (The backward-weights stays on im2col + GEMM: a direct version measured 1.6x slower.)
#pragma once

#include <cstdint>

namespace convkit::isa {

struct ConvStemShape {
  int64_t N, Cin, Cout, OH, OW, sh, sw;
  int64_t Hp, Wp;     // padded input size (xp is [N][Hp][Wp][Cin], with slack after it)
  int64_t taps;       // T = KH * KW * Cin
  int64_t CoutPad;    // Cout rounded up to a whole vector
  const int64_t* offset;  // offset[t] of tap t = (kh, kw, ci) from a pixel's window origin
};

// y rows [row0, row1) (row = n * OH + oh, each OW x Cout) = conv(xp, wt) + bias (or 0 when null).
// wt: [T][CoutPad], zero padded.
typedef void (*ConvStemForwardFn)(const ConvStemShape* s, const float* xp, const float* wt,
                                  const float* bias, float* y, int64_t row0, int64_t row1);

#if defined(__x86_64__) || defined(_M_X64)
#define CONVKIT_CONV_STEM_ISAS(X) X(avx512) X(avx2)
#else
#define CONVKIT_CONV_STEM_ISAS(X)
#endif

#define CONVKIT_DECLARE_CONV_STEM(isa)                                                         \
  void conv_stem_forward__##isa(const ConvStemShape*, const float*, const float*, const float*, \
                                float*, int64_t, int64_t);
CONVKIT_CONV_STEM_ISAS(CONVKIT_DECLARE_CONV_STEM)
#undef CONVKIT_DECLARE_CONV_STEM

}  // namespace convkit::isa
