// Scalar reference for depthwise convolution: the definition, loop by loop, in double.
// Independent of the fast path's tricks (no weight repacking, no multiplier expansion, no
// stride-1 transposition of the backward pass), so the tests compare two different derivations.
#include <algorithm>
#include <vector>

#include "../depthwise.h"

namespace convkit::ref {

namespace {

// Calls f(n, oh, ow, co, ih, iw, kh, kw) for every (output, tap) pair whose input lies inside
// the unpadded input: the one index relation all three passes share.
template <typename F>
void forEachTap(const DepthwiseGeometry& g, F&& f) {
  const int64_t OH = g.OH(), OW = g.OW(), Cout = g.outChannels();
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t co = 0; co < Cout; ++co)
          for (int64_t kh = 0; kh < g.KH; ++kh) {
            const int64_t ih = oh * g.strideH - g.padTop + kh * g.dilationH;
            if (ih < 0 || ih >= g.H) continue;
            for (int64_t kw = 0; kw < g.KW; ++kw) {
              const int64_t iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
              if (iw < 0 || iw >= g.W) continue;
              f(n, oh, ow, co, ih, iw, kh, kw);
            }
          }
}

}  // namespace

void depthwiseConv2dForward(const DepthwiseGeometry& g, const float* x, const float* weight,
                            const float* bias, Activation activation, float* y) {
  const int64_t OH = g.OH(), OW = g.OW(), Cout = g.outChannels();
  std::vector<double> acc(static_cast<size_t>(g.N * OH * OW * Cout), 0.0);
  forEachTap(g, [&](int64_t n, int64_t oh, int64_t ow, int64_t co, int64_t ih, int64_t iw,
                    int64_t kh, int64_t kw) {
    const int64_t c = co / g.multiplier;
    acc[((n * OH + oh) * OW + ow) * Cout + co] +=
        double(x[((n * g.H + ih) * g.W + iw) * g.C + c]) *
        double(weight[(co * g.KH + kh) * g.KW + kw]);
  });
  for (size_t i = 0; i < acc.size(); ++i) {
    double v = acc[i] + (bias ? double(bias[i % Cout]) : 0.0);
    if (activation == Activation::relu) v = std::max(v, 0.0);
    if (activation == Activation::relu6) v = std::min(std::max(v, 0.0), 6.0);
    y[i] = float(v);
  }
}

void depthwiseConv2dBackwardData(const DepthwiseGeometry& g, const float* dy,
                                 const float* weight, float* dx) {
  const int64_t OH = g.OH(), OW = g.OW(), Cout = g.outChannels();
  std::vector<double> acc(static_cast<size_t>(g.N * g.H * g.W * g.C), 0.0);
  forEachTap(g, [&](int64_t n, int64_t oh, int64_t ow, int64_t co, int64_t ih, int64_t iw,
                    int64_t kh, int64_t kw) {
    const int64_t c = co / g.multiplier;
    acc[((n * g.H + ih) * g.W + iw) * g.C + c] +=
        double(dy[((n * OH + oh) * OW + ow) * Cout + co]) *
        double(weight[(co * g.KH + kh) * g.KW + kw]);
  });
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = float(acc[i]);
}

void depthwiseConv2dBackwardWeights(const DepthwiseGeometry& g, const float* x, const float* dy,
                                    float* dweight, float* dbias) {
  const int64_t OH = g.OH(), OW = g.OW(), Cout = g.outChannels();
  std::vector<double> acc(static_cast<size_t>(Cout * g.KH * g.KW), 0.0);
  forEachTap(g, [&](int64_t n, int64_t oh, int64_t ow, int64_t co, int64_t ih, int64_t iw,
                    int64_t kh, int64_t kw) {
    const int64_t c = co / g.multiplier;
    acc[(co * g.KH + kh) * g.KW + kw] += double(dy[((n * OH + oh) * OW + ow) * Cout + co]) *
                                         double(x[((n * g.H + ih) * g.W + iw) * g.C + c]);
  });
  for (size_t i = 0; i < acc.size(); ++i) dweight[i] = float(acc[i]);
  if (dbias) {
    std::vector<double> b(static_cast<size_t>(Cout), 0.0);
    for (int64_t i = 0; i < g.N * OH * OW; ++i)
      for (int64_t co = 0; co < Cout; ++co) b[co] += double(dy[i * Cout + co]);
    for (int64_t co = 0; co < Cout; ++co) dbias[co] = float(b[co]);
  }
}

}  // namespace convkit::ref
