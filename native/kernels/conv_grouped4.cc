// Driver of the 4x4-channel-group convolution (ResNeXt 32x4d's 3x3): repacks the weight into
// per-rotation vectors (w4, see conv_ukernels.h), splits rows between threads and runs the
// per-ISA rotation kernels. Backward-data at stride 1 is the forward kernel on dy with the
// kernel flipped, each group's 4x4 block transposed and the padding mirrored.
#include <cstring>
#include <vector>

#include "../isa/conv_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "conv_grouped.h"

namespace convkit {

namespace {

using isa::ConvGroupedShape;

struct Grouped4Path {
  Isa isa;
  isa::ConvGrouped4ForwardFn forward;
  isa::ConvGrouped4BackwardWeightsFn backwardWeights;
};

const Grouped4Path kPaths[] = {
#define CONVKIT_GROUPED4_PATH(name) \
  {Isa::name, isa::conv_grouped4_forward__##name, isa::conv_grouped4_backward_weights__##name},
    CONVKIT_CONV_GROUPED4_ISAS(CONVKIT_GROUPED4_PATH)
#undef CONVKIT_GROUPED4_PATH
        {Isa::generic, nullptr, nullptr},  // no rotation kernel: the expanded-row kernel runs
};

const Grouped4Path& selectPath() {
  const Isa active = activeIsa();
  for (const Grouped4Path& path : kPaths)
    if (static_cast<int>(path.isa) <= static_cast<int>(active)) return path;
  return kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];
}

constexpr int64_t kMaxRows = 64;  // the kernels' row-pointer table (kMaxRows in the impl)

// w4[tap][R][4g+o] = src[4g+o][(o+R)%4][tap'] with tap' = flip ? taps-1-tap : tap and, when
// transpose, src[4g+o][j] read as w[4g+j][o] (the backward-data kernel's weight).
void repack(const Conv2dParams& p, const float* w, bool flipTranspose, int64_t CP, float* w4) {
  const int64_t taps = p.KH * p.KW;
  std::memset(w4, 0, sizeof(float) * taps * 4 * CP);
  for (int64_t c = 0; c < p.Cout; ++c) {
    const int64_t g = c / 4, o = c % 4;
    for (int64_t r = 0; r < 4; ++r) {
      const int64_t j = (o + r) % 4;
      const int64_t co = flipTranspose ? 4 * g + j : c, ci = flipTranspose ? o : j;
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t src = flipTranspose ? taps - 1 - t : t;
        w4[(t * 4 + r) * CP + c] = w[(co * 4 + ci) * taps + src];
      }
    }
  }
}

void runForward(const ConvGroupedShape& s, const float* x, const float* w4, const float* bias,
                const float* residual, int act, float* y) {
  const isa::ConvGrouped4ForwardFn fn = selectPath().forward;
  parallelRows(s.N * s.OH, 0, double(s.OW * s.KH * s.KW * 4 * s.Cout),
               [&](int, int64_t r0, int64_t r1, float*) {
                 fn(&s, x, w4, bias, residual, act, y, r0, r1);
               });
}

}  // namespace

bool grouped4Applies(const Conv2dParams& p) {
  return p.Cin == 4 * p.groups && p.Cout == 4 * p.groups && p.KH <= kMaxRows &&
         selectPath().forward != nullptr && groupedDirectApplies(p);
}

bool grouped4BackwardDataApplies(const Conv2dParams& p) {
  return grouped4Applies(p) && p.strideH == 1 && p.strideW == 1;
}

void grouped4Forward(const Conv2dParams& p, const float* x, const float* w,
                     const GemmEpilogue* epi, float* y) {
  const ConvGroupedShape s = groupedShape(p);
  Scratch w4Buf(sizeof(float) * p.KH * p.KW * 4 * s.CoutPad);
  float* w4 = w4Buf.as<float>();
  repack(p, w, false, s.CoutPad, w4);
  runForward(s, x, w4, epi ? epi->bias : nullptr, epi ? epi->residual : nullptr,
             epi ? static_cast<int>(epi->activation) : 0, y);
}

void grouped4BackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  // dx[ih] = sum over kh of dy[ih + pt - kh*dh] * w[kh]: with kh' = KH-1-kh this is a forward
  // convolution of dy (OH x OW) to H x W with padding (KH-1)*dh - pt (may be negative).
  ConvGroupedShape s = groupedShape(p);
  s.H = s.OH;
  s.W = s.OW;
  s.OH = p.H;
  s.OW = p.W;
  s.pt = (p.KH - 1) * p.dilationH - p.padTop;
  s.pl = (p.KW - 1) * p.dilationW - p.padLeft;
  Scratch w4Buf(sizeof(float) * p.KH * p.KW * 4 * s.CoutPad);
  float* w4 = w4Buf.as<float>();
  repack(p, w, true, s.CoutPad, w4);
  runForward(s, dy, w4, nullptr, nullptr, 0, dx);
}

void grouped4BackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                             float* dbias) {
  const ConvGroupedShape s = groupedShape(p);
  const isa::ConvGrouped4BackwardWeightsFn fn = selectPath().backwardWeights;
  const int64_t taps = p.KH * p.KW, CP = s.CoutPad, wFloats = taps * 4 * CP;
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
  const double workPerRow = double(s.OW * taps * 4 * s.Cout);
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
    const int64_t o = c % 4;
    for (int64_t r = 0; r < 4; ++r)
      for (int64_t t = 0; t < taps; ++t) {
        float v = 0;
        for (int q = 0; q < used; ++q) v += parts[q * partFloats + (t * 4 + r) * CP + c];
        dw[(c * 4 + (o + r) % 4) * taps + t] = v;
      }
    if (dbias) {
      double v = 0;
      for (int q = 0; q < used; ++q) v += biasSums[q * CP + c];
      dbias[c] = static_cast<float>(v);
    }
  }
}

}  // namespace convkit
