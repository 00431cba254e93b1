// Scalar reference convolution: the definition, written as directly as possible.
#include "../conv.h"

#include <cstddef>
#include <vector>

namespace convkit::ref {

namespace {

// Index of x[n, ih, iw, c] for the input tap (oh, ow, kh, kw), or -1 in the zero padding.
inline int64_t inputIndex(const Conv2dParams& p, int64_t n, int64_t oh, int64_t ow, int64_t kh,
                          int64_t kw, int64_t c) {
  const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
  const int64_t iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
  if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) return -1;
  return ((n * p.H + ih) * p.W + iw) * p.Cin + c;
}

}  // namespace

void conv2dForward(const Conv2dParams& p, const float* x, const float* w,
                   const GemmEpilogue* epi, float* y) {
  const int64_t OH = p.outH(), OW = p.outW();
  const int64_t cig = p.Cin / p.groups, cog = p.Cout / p.groups;
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t co = 0; co < p.Cout; ++co) {
          const int64_t g = co / cog;
          double sum = 0;
          for (int64_t j = 0; j < cig; ++j)
            for (int64_t kh = 0; kh < p.KH; ++kh)
              for (int64_t kw = 0; kw < p.KW; ++kw) {
                const int64_t xi = inputIndex(p, n, oh, ow, kh, kw, g * cig + j);
                if (xi >= 0) sum += double(x[xi]) * w[((co * cig + j) * p.KH + kh) * p.KW + kw];
              }
          const int64_t yi = ((n * OH + oh) * OW + ow) * p.Cout + co;
          float v = static_cast<float>(sum);
          if (epi) {
            if (epi->bias) v += epi->bias[co];
            if (epi->residual) v += epi->residual[yi];
            if (epi->activation != Activation::none) v = v > 0 ? v : 0;
            if (epi->activation == Activation::relu6) v = v < 6 ? v : 6;
          }
          y[yi] = v;
        }
}

void conv2dBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  const int64_t OH = p.outH(), OW = p.outW();
  const int64_t cig = p.Cin / p.groups, cog = p.Cout / p.groups;
  std::vector<double> acc(static_cast<size_t>(p.N * p.H * p.W * p.Cin), 0.0);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t co = 0; co < p.Cout; ++co) {
          const double d = dy[((n * OH + oh) * OW + ow) * p.Cout + co];
          const int64_t g = co / cog;
          for (int64_t j = 0; j < cig; ++j)
            for (int64_t kh = 0; kh < p.KH; ++kh)
              for (int64_t kw = 0; kw < p.KW; ++kw) {
                const int64_t xi = inputIndex(p, n, oh, ow, kh, kw, g * cig + j);
                if (xi >= 0) acc[xi] += d * w[((co * cig + j) * p.KH + kh) * p.KW + kw];
              }
        }
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = static_cast<float>(acc[i]);
}

void conv2dBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                           float* dbias) {
  const int64_t OH = p.outH(), OW = p.outW();
  const int64_t cig = p.Cin / p.groups, cog = p.Cout / p.groups;
  std::vector<double> acc(static_cast<size_t>(p.Cout * cig * p.KH * p.KW), 0.0);
  std::vector<double> bias(static_cast<size_t>(p.Cout), 0.0);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t co = 0; co < p.Cout; ++co) {
          const double d = dy[((n * OH + oh) * OW + ow) * p.Cout + co];
          bias[co] += d;
          const int64_t g = co / cog;
          for (int64_t j = 0; j < cig; ++j)
            for (int64_t kh = 0; kh < p.KH; ++kh)
              for (int64_t kw = 0; kw < p.KW; ++kw) {
                const int64_t xi = inputIndex(p, n, oh, ow, kh, kw, g * cig + j);
                if (xi >= 0) acc[((co * cig + j) * p.KH + kh) * p.KW + kw] += d * x[xi];
              }
        }
  for (size_t i = 0; i < acc.size(); ++i) dw[i] = static_cast<float>(acc[i]);
  if (dbias)
    for (int64_t co = 0; co < p.Cout; ++co) dbias[co] = static_cast<float>(bias[co]);
}

}  // namespace convkit::ref
