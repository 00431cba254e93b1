// Direct forward convolution for up to 4 input channels (conv_stem.cc, isa/conv_stem_ukernels.h),
// chosen by conv.cc for a network's stem. Internal: arguments are trusted, as in conv.h.
#pragma once

#include "conv.h"

namespace convkit {

// groups 1, Cin <= 4, dilation 1, on AVX-512 or AVX2.
bool stemApplies(const Conv2dParams& p);

class BatchStats;

// y = conv(x, w) + bias (bias may be null). stats (may be null; one part per kernel thread):
// also sums y's batch statistics, a block of rows at a time while it is in L2.
void stemForward(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                 float* y, BatchStats* stats = nullptr);

}  // namespace convkit
