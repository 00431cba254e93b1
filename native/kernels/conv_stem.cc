// Driver of the few-input-channel direct forward convolution (isa/conv_stem_ukernels.h): pads the
// input once, lays the weight out as [tap][CoutPad], splits output rows between threads.
#include "conv_stem.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../isa/conv_stem_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "batchnorm.h"
#include "conv_common.h"

namespace convkit {

namespace {

struct StemPath {
  Isa isa;
  int lanes;
  isa::ConvStemForwardFn forward;
};

const StemPath kPaths[] = {
#define CONVKIT_STEM_PATH(name) \
  {Isa::name, Isa::name == Isa::avx512 ? 16 : 8, isa::conv_stem_forward__##name},
    CONVKIT_CONV_STEM_ISAS(CONVKIT_STEM_PATH)
#undef CONVKIT_STEM_PATH
};

const StemPath* selectPath() {
  for (const StemPath& path : kPaths)
    if (path.isa == activeIsa()) return &path;
  return nullptr;
}

// The padded input, the tap offsets and the shape the kernels take.
struct StemSetup {
  isa::ConvStemShape shape;
  std::vector<int64_t> offset;
  Scratch padded;

  StemSetup(const Conv2dParams& p, const float* x, int lanes)
      : padded(sizeof(float) * paddedFloats(p)) {
    isa::ConvStemShape& s = shape;
    s.N = p.N;
    s.Cin = p.Cin;
    s.Cout = p.Cout;
    s.OH = p.outH();
    s.OW = p.outW();
    s.sh = p.strideH;
    s.sw = p.strideW;
    s.Hp = p.H + p.padTop + p.padBottom;
    s.Wp = p.W + p.padLeft + p.padRight;
    s.taps = p.KH * p.KW * p.Cin;
    s.CoutPad = (p.Cout + lanes - 1) / lanes * lanes;
    for (int64_t kh = 0; kh < p.KH; ++kh)
      for (int64_t kw = 0; kw < p.KW; ++kw)
        for (int64_t ci = 0; ci < p.Cin; ++ci) offset.push_back((kh * s.Wp + kw) * p.Cin + ci);
    s.offset = offset.data();
    pad(p, x);
  }

  // Images back to back, then slack for the strips that run past the last output column.
  static int64_t paddedFloats(const Conv2dParams& p) {
    const int64_t Hp = p.H + p.padTop + p.padBottom, Wp = p.W + p.padLeft + p.padRight;
    return (p.N * Hp * Wp + slackPixels(p)) * p.Cin;
  }
  static int64_t slackPixels(const Conv2dParams& p) {
    return p.W + p.padLeft + p.padRight + 16 * p.strideW + p.KW;
  }

  void pad(const Conv2dParams& p, const float* x) {
    float* xp = padded.as<float>();
    const int64_t C = p.Cin, Hp = shape.Hp, Wp = shape.Wp;
    const int threads = kernelThreads();
    // Each padded row written once: zeros where it is padding, the image row in between.
#pragma omp parallel for num_threads(threads) if (threads > 1 && p.N > 1) schedule(static)
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t h = 0; h < Hp; ++h) {
        float* row = xp + (n * Hp + h) * Wp * C;
        const int64_t ih = h - p.padTop;
        if (ih < 0 || ih >= p.H) {
          std::memset(row, 0, sizeof(float) * Wp * C);
          continue;
        }
        std::memset(row, 0, sizeof(float) * p.padLeft * C);
        std::memcpy(row + p.padLeft * C, x + (n * p.H + ih) * p.W * C, sizeof(float) * p.W * C);
        std::memset(row + (p.padLeft + p.W) * C, 0, sizeof(float) * p.padRight * C);
      }
    std::memset(xp + p.N * Hp * Wp * C, 0, sizeof(float) * slackPixels(p) * C);
  }
};

}  // namespace

bool stemApplies(const Conv2dParams& p) {
  return p.groups == 1 && p.Cin <= 4 && p.dilationH == 1 && p.dilationW == 1 &&
         selectPath() != nullptr;
}

void stemForward(const Conv2dParams& p, const float* x, const float* w, const float* bias,
                 float* y, BatchStats* stats) {
  const StemPath& path = *selectPath();
  StemSetup setup(p, x, path.lanes);
  const isa::ConvStemShape& s = setup.shape;
  // wt[t][co] = w[co][ci][kh][kw], t = (kh * KW + kw) * Cin + ci; zero beyond Cout.
  Scratch wtBuf(sizeof(float) * s.taps * s.CoutPad);
  float* wt = wtBuf.as<float>();
  std::memset(wt, 0, sizeof(float) * s.taps * s.CoutPad);
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t ci = 0; ci < p.Cin; ++ci)
      for (int64_t k = 0; k < p.KH * p.KW; ++k)
        wt[(k * p.Cin + ci) * s.CoutPad + co] = w[(co * p.Cin + ci) * p.KH * p.KW + k];
  const int64_t rows = p.N * s.OH;
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), rows));
  const float* xp = setup.padded.as<float>();
  // With stats: blocks of output rows (~kChunkFloats), each summed right after it is written,
  // while it is in L2.
  const int64_t rowFloats = std::max<int64_t>(1, s.OW * p.Cout);
  const int64_t block =
      stats ? std::max<int64_t>(1, BatchStats::kChunkFloats / rowFloats) : rows;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    const int64_t end = rows * (t + 1) / nt;
    for (int64_t r0 = rows * t / nt; r0 < end; r0 += block) {
      const int64_t r1 = std::min(end, r0 + block);
      path.forward(&s, xp, wt, bias, y, r0, r1);
      if (stats) stats->add(t, y + r0 * rowFloats, (r1 - r0) * s.OW);
    }
  }
}

}  // namespace convkit
