// Driver of the direct grouped convolution (ResNeXt-style narrow groups): repacks the weight
// block-diagonally, splits rows between threads (contiguous ranges, so each thread's row cache
// reuses the rows it expanded) and dispatches to the per-ISA kernels; groups of 4 x 4, 8 x 8
// and 16 x 16 channels go to the rotation kernels instead where the ISA has them
// (conv_grouped_rotate.cc).
#include "conv_grouped.h"

#include <algorithm>
#include <cstring>

#include "../isa/conv_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"

namespace convkit {

namespace {

using isa::ConvGroupedShape;

struct GroupedPath {
  Isa isa;
  isa::ConvGroupedForwardFn forward;
  isa::ConvGroupedBackwardDataFn backwardData;
  isa::ConvGroupedBackwardWeightsFn backwardWeights;
};

const GroupedPath kPaths[] = {
#define CONVKIT_GROUPED_PATH(name)                                                      \
  {Isa::name, isa::conv_grouped_forward__##name, isa::conv_grouped_backward_data__##name, \
   isa::conv_grouped_backward_weights__##name},
    CONVKIT_CONV_GROUPED_ISAS(CONVKIT_GROUPED_PATH)
#undef CONVKIT_GROUPED_PATH
};

const GroupedPath& selectPath() {
  const Isa active = activeIsa();
  for (const GroupedPath& path : kPaths)
    if (static_cast<int>(path.isa) <= static_cast<int>(active)) return path;
  return kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];
}

int64_t padLanes(int64_t c) { return (c + isa::kConvLanePad - 1) / isa::kConvLanePad * isa::kConvLanePad; }

}  // namespace

isa::ConvGroupedShape groupedShape(const Conv2dParams& p) {
  ConvGroupedShape s;
  s.N = p.N;
  s.H = p.H;
  s.W = p.W;
  s.Cin = p.Cin;
  s.Cout = p.Cout;
  s.KH = p.KH;
  s.KW = p.KW;
  s.sh = p.strideH;
  s.sw = p.strideW;
  s.pt = p.padTop;
  s.pl = p.padLeft;
  s.dh = p.dilationH;
  s.dw = p.dilationW;
  s.OH = p.outH();
  s.OW = p.outW();
  s.cig = p.Cin / p.groups;
  s.cog = p.Cout / p.groups;
  s.CinPad = padLanes(p.Cin);
  s.CoutPad = padLanes(p.Cout);
  return s;
}

namespace isa {
size_t convGroupedScratch(const ConvGroupedShape* s, int kind) {
  if (kind == 1) return ((s->KH - 1) * s->dh / s->sh + 1) * s->OW * s->cog * s->CinPad + s->CinPad;
  const size_t cache = ((s->KH - 1) * s->dh + 1) * s->W * s->cig * s->CoutPad;
  return cache + (kind == 0 ? 2 * s->CoutPad : s->OW * s->CoutPad);
}
}  // namespace isa

bool groupedDirectApplies(const Conv2dParams& p) {
  const int64_t cig = p.Cin / p.groups, cog = p.Cout / p.groups;
  if (cig > 16 || cog > 16) return false;
  if ((p.KH - 1) * p.dilationH + 1 > 64) return false;  // row cache slots (kMaxSlots)
  const ConvGroupedShape s = groupedShape(p);
  const size_t limit = size_t(16) << 20;  // floats per thread (64 MB)
  return isa::convGroupedScratch(&s, 0) <= limit && isa::convGroupedScratch(&s, 1) <= limit &&
         isa::convGroupedScratch(&s, 2) <= limit;
}

void groupedForward(const Conv2dParams& p, const float* x, const float* w,
                    const GemmEpilogue* epi, float* y) {
  if (groupedRotateApplies(p)) return groupedRotateForward(p, x, w, epi, y);
  const ConvGroupedShape s = groupedShape(p);
  const GroupedPath& path = selectPath();
  const int64_t taps = p.KH * p.KW;
  Scratch wrBuf(sizeof(float) * taps * s.cig * s.CoutPad);
  float* wr = wrBuf.as<float>();
  std::memset(wr, 0, sizeof(float) * taps * s.cig * s.CoutPad);
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t j = 0; j < s.cig; ++j)
      for (int64_t t = 0; t < taps; ++t) wr[(t * s.cig + j) * s.CoutPad + co] = w[(co * s.cig + j) * taps + t];
  const float* bias = epi ? epi->bias : nullptr;
  const float* residual = epi ? epi->residual : nullptr;
  const int act = epi ? static_cast<int>(epi->activation) : 0;
  parallelRows(p.N * s.OH, isa::convGroupedScratch(&s, 0), double(s.OW * taps * s.cig * s.CoutPad),
               [&](int, int64_t r0, int64_t r1, float* scratch) {
                 path.forward(&s, x, wr, bias, residual, act, y, r0, r1, scratch);
               });
}

void groupedBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  if (groupedRotateBackwardDataApplies(p)) return groupedRotateBackwardData(p, dy, w, dx);
  const ConvGroupedShape s = groupedShape(p);
  const GroupedPath& path = selectPath();
  const int64_t taps = p.KH * p.KW;
  Scratch wtBuf(sizeof(float) * taps * s.cog * s.CinPad);
  float* wt = wtBuf.as<float>();
  std::memset(wt, 0, sizeof(float) * taps * s.cog * s.CinPad);
  // wt[tap][jo][ci] = w[group(ci) * cog + jo][ci % cig][tap]
  for (int64_t ci = 0; ci < p.Cin; ++ci)
    for (int64_t jo = 0; jo < s.cog; ++jo)
      for (int64_t t = 0; t < taps; ++t)
        wt[(t * s.cog + jo) * s.CinPad + ci] = w[(((ci / s.cig) * s.cog + jo) * s.cig + ci % s.cig) * taps + t];
  parallelRows(p.N * p.H, isa::convGroupedScratch(&s, 1), double(p.W * taps * s.cog * s.CinPad),
               [&](int, int64_t r0, int64_t r1, float* scratch) {
                 path.backwardData(&s, dy, wt, dx, r0, r1, scratch);
               });
}

void groupedBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                            float* dbias) {
  if (groupedRotateApplies(p)) return groupedRotateBackwardWeights(p, x, dy, dw, dbias);
  const ConvGroupedShape s = groupedShape(p);
  const GroupedPath& path = selectPath();
  const int64_t taps = p.KH * p.KW;
  const int64_t partFloats = taps * s.cig * s.CoutPad;
  const int threads = std::max(1, kernelThreads());
  Scratch partBuf(sizeof(float) * partFloats * threads);
  float* parts = partBuf.as<float>();
  std::memset(parts, 0, sizeof(float) * partFloats * threads);
  int used = 1;
  parallelRows(p.N * s.OH, isa::convGroupedScratch(&s, 2), double(s.OW * taps * s.cig * s.CoutPad),
               [&](int t, int64_t r0, int64_t r1, float* scratch) {
                 if (t == 0) used = threadCount();
                 path.backwardWeights(&s, x, dy, parts + t * partFloats, r0, r1, scratch);
               });
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t j = 0; j < s.cig; ++j)
      for (int64_t t = 0; t < taps; ++t) {
        float v = 0;
        for (int q = 0; q < used; ++q) v += parts[q * partFloats + (t * s.cig + j) * s.CoutPad + co];
        dw[(co * s.cig + j) * taps + t] = v;
      }
  if (dbias) columnSums(dy, p.N * s.OH * s.OW, p.Cout, dbias);
}

}  // namespace convkit
