// Driver of the rotation kernels for 4, 8 or 16 channels per group (ResNeXt 32x4d's 3x3):
// repacks the weight into per-rotation vectors (w4, see conv_ukernels.h), splits rows between
// threads and runs the per-ISA kernels. Backward-data at stride 1 is the forward kernel on dy
// with the kernel flipped, each group's GxG block transposed and the padding mirrored.
#include <cstring>
#include <type_traits>
#include <vector>

#include "../isa/conv_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "conv_grouped.h"

namespace convkit {

namespace {

using isa::ConvGroupedShape;

struct RotatePath {
  Isa isa;
  int maxGroup;  // largest G (channels per group) its vectors hold
  isa::ConvGroupedRotateForwardFn forward;
  isa::ConvGroupedRotateBackwardWeightsFn backwardWeights;
};

const RotatePath kPaths[] = {
#define CONVKIT_ROTATE_PATH(name, maxGroup)                           \
  {Isa::name, maxGroup, isa::conv_grouped_rotate_forward__##name, \
   isa::conv_grouped_rotate_backward_weights__##name},
    CONVKIT_CONV_GROUPED_ROTATE_ISAS(CONVKIT_ROTATE_PATH)
#undef CONVKIT_ROTATE_PATH
        {Isa::generic, 0, nullptr, nullptr},  // no rotation kernel: the expanded-row kernel runs
};

const RotatePath& selectPath() {
  const Isa active = activeIsa();
  for (const RotatePath& path : kPaths)
    if (static_cast<int>(path.isa) <= static_cast<int>(active)) return path;
  return kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];
}

constexpr int64_t kMaxRows = 64;  // the kernels' row-pointer table (kMaxRows in the impl)

// w4[tap][R][Gg+o] = src[Gg+o][rotatedChannel(R, o)][tap'] with tap' = flip ? taps-1-tap : tap
// and, when transpose, src[Gg+o][j] read as w[Gg+j][o] (the backward-data kernel's weight).
void repack(const Conv2dParams& p, const float* w, bool flipTranspose, int64_t CP, float* w4) {
  const int64_t taps = p.KH * p.KW, G = p.Cin / p.groups;
  std::memset(w4, 0, sizeof(float) * taps * G * CP);
  for (int64_t c = 0; c < p.Cout; ++c) {
    const int64_t g = c / G, o = c % G;
    for (int64_t r = 0; r < G; ++r) {
      const int64_t j = isa::rotatedChannel(int(r), int(o));
      const int64_t co = flipTranspose ? G * g + j : c, ci = flipTranspose ? o : j;
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t src = flipTranspose ? taps - 1 - t : t;
        w4[(t * G + r) * CP + c] = w[(co * G + ci) * taps + src];
      }
    }
  }
}

// The kernels' shape, with w4's row stride (CoutPad) one vector longer when it is a multiple of
// 512 B: w4's G*KW rows of a block, and the input pixels (C floats apart), would otherwise map
// to a few L1 sets (2 KB apart at 512 channels: 2 of 64 sets) and evict each other. Measured:
// ResNeXt's 16-per-group 3x3 (512 channels) 3x faster in backward-weights.
ConvGroupedShape rotateShape(const Conv2dParams& p) {
  ConvGroupedShape s = groupedShape(p);
  if (s.CoutPad % 128 == 0) s.CoutPad += isa::kConvLanePad;
  return s;
}

void runForward(const ConvGroupedShape& s, const float* x, const float* w4, const float* bias,
                const float* residual, int act, float* y) {
  const isa::ConvGroupedRotateForwardFn fn = selectPath().forward;
  parallelRows(s.N * s.OH, 0, double(s.OW * s.KH * s.KW * s.cig * s.Cout),
               [&](int, int64_t r0, int64_t r1, float*) {
                 fn(&s, x, w4, bias, residual, act, y, r0, r1);
               });
}

}  // namespace

bool groupedRotateApplies(const Conv2dParams& p) {
  const int64_t G = p.Cin / p.groups;
  return (G == 4 || G == 8 || G == 16) && p.Cin == G * p.groups && p.Cout == p.Cin &&
         G <= selectPath().maxGroup && p.KH <= kMaxRows && groupedDirectApplies(p);
}

bool groupedRotateBackwardDataApplies(const Conv2dParams& p) {
  return groupedRotateApplies(p) && p.strideH == 1 && p.strideW == 1;
}

void groupedRotateForward(const Conv2dParams& p, const float* x, const float* w,
                          const GemmEpilogue* epi, float* y) {
  const ConvGroupedShape s = rotateShape(p);
  Scratch w4Buf(sizeof(float) * p.KH * p.KW * s.cig * s.CoutPad);
  float* w4 = w4Buf.as<float>();
  repack(p, w, false, s.CoutPad, w4);
  runForward(s, x, w4, epi ? epi->bias : nullptr, epi ? epi->residual : nullptr,
             epi ? static_cast<int>(epi->activation) : 0, y);
}

void groupedRotateBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  // dx[ih] = sum over kh of dy[ih + pt - kh*dh] * w[kh]: with kh' = KH-1-kh this is a forward
  // convolution of dy (OH x OW) to H x W with padding (KH-1)*dh - pt (may be negative).
  ConvGroupedShape s = rotateShape(p);
  s.H = s.OH;
  s.W = s.OW;
  s.OH = p.H;
  s.OW = p.W;
  s.pt = (p.KH - 1) * p.dilationH - p.padTop;
  s.pl = (p.KW - 1) * p.dilationW - p.padLeft;
  Scratch w4Buf(sizeof(float) * p.KH * p.KW * s.cig * s.CoutPad);
  float* w4 = w4Buf.as<float>();
  repack(p, w, true, s.CoutPad, w4);
  runForward(s, dy, w4, nullptr, nullptr, 0, dx);
}

void groupedRotateBackwardWeights(const Conv2dParams& p, const float* x, const float* dy,
                                  float* dw, float* dbias) {
  const ConvGroupedShape s = rotateShape(p);
  const isa::ConvGroupedRotateBackwardWeightsFn fn = selectPath().backwardWeights;
  const int64_t taps = p.KH * p.KW, G = s.cig, CP = s.CoutPad, wFloats = taps * G * CP;
  // Each thread's partial (dw4, then its float bias run) on its own 64 KB stride: packed back
  // to back (18 KB apart for 3x3 128 channels), the other core's neighbouring lines made the
  // partial's stores 1.5-3x slower (measured; hardware prefetch across the boundary is the
  // likely cause).
  const int64_t partFloats = (wFloats + CP + 16383) / 16384 * 16384;
  const int threads = std::max(1, kernelThreads());
  Scratch partBuf(sizeof(float) * partFloats * threads);
  float* parts = partBuf.as<float>();
  std::memset(parts, 0, sizeof(float) * partFloats * threads);
  std::vector<double> biasSums(dbias ? static_cast<size_t>(CP * threads) : 0, 0.0);
  // The kernel sums dy into a float run per thread, flushed into double every kBiasRows output
  // rows (<= 256 dy pixels when OW <= 256, as columnSums flushes).
  const int64_t kBiasRows = std::max<int64_t>(1, 256 / s.OW);
  int used = 1;
  const double workPerRow = double(s.OW * taps * G * s.Cout);
  parallelRows(s.N * s.OH, 0, workPerRow, [&](int t, int64_t r0, int64_t r1, float*) {
    if (t == 0) used = threadCount();
    float* part = parts + t * partFloats;
    if (!dbias) return fn(&s, x, dy, part, nullptr, r0, r1);
    float* run = part + wFloats;
    double* sums = biasSums.data() + t * CP;
    for (int64_t r = r0; r < r1; r += kBiasRows) {
      fn(&s, x, dy, part, run, r, std::min(r1, r + kBiasRows));
      for (int64_t c = 0; c < CP; ++c) sums[c] += run[c], run[c] = 0.0f;
    }
  });
  // Thread partials summed in thread order (deterministic for a thread count), un-rotated.
  for (int64_t c = 0; c < p.Cout; ++c) {
    const int o = int(c % G);
    for (int64_t r = 0; r < G; ++r)
      for (int64_t t = 0; t < taps; ++t) {
        float v = 0;
        for (int q = 0; q < used; ++q) v += parts[q * partFloats + (t * G + r) * CP + c];
        dw[(c * G + isa::rotatedChannel(int(r), o)) * taps + t] = v;
      }
    if (dbias) {
      double v = 0;
      for (int q = 0; q < used; ++q) v += biasSums[q * CP + c];
      dbias[c] = static_cast<float>(v);
    }
  }
}

}  // namespace convkit
