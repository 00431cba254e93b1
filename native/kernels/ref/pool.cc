// Scalar pooling references, written from PyTorch's CPU kernels (max_pool2d_with_indices,
// avg_pool2d, adaptive_avg_pool2d): direct loops over NHWC, double accumulation, and a plain
// scatter by index for max-pool backward.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../pool.h"

namespace convkit::ref {

namespace {
inline int64_t at(const Pool2dParams& p, int64_t n, int64_t h, int64_t w) {
  return ((n * p.H + h) * p.W + w) * p.C;
}
inline int64_t outAt(const Pool2dParams& p, int64_t n, int64_t oh, int64_t ow) {
  return ((n * p.OH + oh) * p.OW + ow) * p.C;
}
}  // namespace

void maxPool2d(const Pool2dParams& p, const float* input, float* output, int32_t* indices) {
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow)
        for (int64_t c = 0; c < p.C; ++c) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t bestIndex = -1;
          for (int64_t i = 0; i < p.kh; ++i)
            for (int64_t j = 0; j < p.kw; ++j) {
              const int64_t h = oh * p.sh - p.ph + i * p.dh, w = ow * p.sw - p.pw + j * p.dw;
              if (h < 0 || h >= p.H || w < 0 || w >= p.W) continue;
              const float v = input[at(p, n, h, w) + c];
              // The argmax starts at the first valid position (it stays there for -inf).
              if (bestIndex < 0) bestIndex = h * p.W + w;
              if (v > best || std::isnan(v)) best = v, bestIndex = h * p.W + w;
            }
          output[outAt(p, n, oh, ow) + c] = best;
          indices[outAt(p, n, oh, ow) + c] = static_cast<int32_t>(bestIndex);
        }
}

void maxPool2dBackward(const Pool2dParams& p, const float* gradOutput, const int32_t* indices,
                       float* gradInput) {
  std::fill(gradInput, gradInput + p.N * p.H * p.W * p.C, 0.0f);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow)
        for (int64_t c = 0; c < p.C; ++c) {
          const int64_t index = indices[outAt(p, n, oh, ow) + c];
          if (index < 0 || index >= p.H * p.W) continue;
          gradInput[at(p, n, 0, 0) + index * p.C + c] += gradOutput[outAt(p, n, oh, ow) + c];
        }
}

namespace {

// One output value of average pooling for window [h0, h0 + kh) x [w0, w0 + kw) clipped to the
// padded input, with PyTorch's divisor; visit(h, w, 1 / divisor) for each valid position.
template <typename Visit>
void avgWindow(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride, int64_t oh,
               int64_t ow, Visit visit) {
  int64_t h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
  int64_t h1 = std::min(h0 + p.kh, p.H + p.ph), w1 = std::min(w0 + p.kw, p.W + p.pw);
  const int64_t poolSize = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, p.H), w1 = std::min(w1, p.W);
  if (h0 >= h1 || w0 >= w1) return;
  const int64_t divisor =
      divisorOverride > 0 ? divisorOverride : countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) visit(h, w, 1.0 / double(divisor));
}

}  // namespace

void avgPool2d(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
               const float* input, float* output) {
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow)
        for (int64_t c = 0; c < p.C; ++c) {
          double sum = 0;
          avgWindow(p, countIncludePad, divisorOverride, oh, ow, [&](int64_t h, int64_t w, double s) {
            sum += s * input[at(p, n, h, w) + c];
          });
          output[outAt(p, n, oh, ow) + c] = float(sum);
        }
}

void avgPool2dBackward(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
                       const float* gradOutput, float* gradInput) {
  std::vector<double> acc(p.N * p.H * p.W * p.C, 0.0);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow)
        for (int64_t c = 0; c < p.C; ++c) {
          const double g = gradOutput[outAt(p, n, oh, ow) + c];
          avgWindow(p, countIncludePad, divisorOverride, oh, ow, [&](int64_t h, int64_t w, double s) {
            acc[at(p, n, h, w) + c] += s * g;
          });
        }
  for (size_t i = 0; i < acc.size(); ++i) gradInput[i] = float(acc[i]);
}

namespace {
inline int64_t adaptiveStart(int64_t o, int64_t in, int64_t out) {
  return int64_t(std::floor(double(o * in) / double(out)));
}
inline int64_t adaptiveEnd(int64_t o, int64_t in, int64_t out) {
  return int64_t(std::ceil(double((o + 1) * in) / double(out)));
}
}  // namespace

void adaptiveAvgPool2d(const Pool2dParams& p, const float* input, float* output) {
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        const int64_t h0 = adaptiveStart(oh, p.H, p.OH), h1 = adaptiveEnd(oh, p.H, p.OH);
        const int64_t w0 = adaptiveStart(ow, p.W, p.OW), w1 = adaptiveEnd(ow, p.W, p.OW);
        for (int64_t c = 0; c < p.C; ++c) {
          double sum = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) sum += input[at(p, n, h, w) + c];
          output[outAt(p, n, oh, ow) + c] = float(sum / double((h1 - h0) * (w1 - w0)));
        }
      }
}

void adaptiveAvgPool2dBackward(const Pool2dParams& p, const float* gradOutput, float* gradInput) {
  std::vector<double> acc(p.N * p.H * p.W * p.C, 0.0);
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t oh = 0; oh < p.OH; ++oh)
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        const int64_t h0 = adaptiveStart(oh, p.H, p.OH), h1 = adaptiveEnd(oh, p.H, p.OH);
        const int64_t w0 = adaptiveStart(ow, p.W, p.OW), w1 = adaptiveEnd(ow, p.W, p.OW);
        const double scale = 1.0 / double((h1 - h0) * (w1 - w0));
        for (int64_t c = 0; c < p.C; ++c)
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w)
              acc[at(p, n, h, w) + c] += scale * gradOutput[outAt(p, n, oh, ow) + c];
      }
  for (size_t i = 0; i < acc.size(); ++i) gradInput[i] = float(acc[i]);
}

}  // namespace convkit::ref
