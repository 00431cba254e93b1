// Pooling driver: per-axis window tables, threading and ISA dispatch. The microkernels see one
// output pixel at a time as a list of input-row pointers (one per valid window position), so
// average (any divisor rule), adaptive windows and the backward share one code path. Max
// forward has a row kernel (window ranges computed inline) and global average pooling a
// sequential row sum: the two hot forward cases.
//
// Threads: forward splits the N * OH output rows (disjoint outputs). Backward windows overlap
// when stride < kernel, so it splits (sample, channel block) pairs instead: each thread owns
// a slice of gradInput and accumulates into it without races, deterministically.
#include "pool.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../isa/pool_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

int64_t poolOutputSize(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation,
                       bool ceilMode) {
  const int64_t numerator = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
  // Floor division (numerator may be negative).
  int64_t out = (numerator >= 0 ? numerator / stride : -((-numerator + stride - 1) / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= in + pad) --out;
  return out;
}

namespace {

// For each output index along one axis: the valid input positions of its window and the
// window's length as the divisor counts it.
struct AxisWindows {
  std::vector<int32_t> first, count, divisorSpan, positions;
  int64_t maxCount = 0;

  void add(int64_t span) {
    first.push_back(static_cast<int32_t>(positions.size()));
    count.push_back(0);
    divisorSpan.push_back(static_cast<int32_t>(span));
  }
  void push(int64_t position) {
    positions.push_back(static_cast<int32_t>(position));
    maxCount = std::max<int64_t>(maxCount, ++count.back());
  }
};

AxisWindows maxWindows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p, int64_t d) {
  AxisWindows w;
  for (int64_t o = 0; o < out; ++o) {
    w.add(0);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t i = o * s - p + j * d;
      if (i >= 0 && i < in) w.push(i);
    }
  }
  return w;
}

// PyTorch's avg_pool2d: the padded window [start, min(start + k, in + p)) sets the
// countIncludePad divisor; the clipped one the positions.
AxisWindows avgWindows(int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
  AxisWindows w;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * s - p, end = std::min(start + k, in + p);
    w.add(end - start);
    for (int64_t i = std::max<int64_t>(start, 0); i < std::min(end, in); ++i) w.push(i);
  }
  return w;
}

AxisWindows adaptiveWindows(int64_t in, int64_t out) {
  AxisWindows w;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * in / out, end = ((o + 1) * in + out - 1) / out;
    w.add(end - start);
    for (int64_t i = start; i < end; ++i) w.push(i);
  }
  return w;
}

isa::PoolUkernels selectUkernels() {
  switch (activeIsa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx512:
      return isa::poolUkernels__avx512();
    case Isa::avx2:
      return isa::poolUkernels__avx2();
#endif
    default:
      return isa::poolUkernels__generic();
  }
}

enum class Kind { max, avg };

// Waking a second thread costs microseconds (more on a loaded machine): small calls run serially.
int worthThreads(const Pool2dParams& p, size_t maxWindow) {
  const int64_t work = p.N * p.OH * p.OW * p.C * int64_t(std::max<size_t>(maxWindow, 1)) + p.N * p.H * p.W * p.C;
  return work >= (int64_t(1) << 16) ? kernelThreads() : 1;
}

struct Geometry {
  const Pool2dParams& p;
  const AxisWindows& wh;
  const AxisWindows& ww;
  // Average only: divisor rule.
  bool countIncludePad = true;
  int64_t divisorOverride = 0;

  float scale(int64_t oh, int64_t ow) const {
    const int64_t valid = int64_t(wh.count[oh]) * ww.count[ow];
    if (valid == 0) return 0.0f;  // empty window: output 0, as PyTorch
    if (divisorOverride > 0) return 1.0f / float(divisorOverride);
    const int64_t d = countIncludePad ? int64_t(wh.divisorSpan[oh]) * ww.divisorSpan[ow] : valid;
    return 1.0f / float(d);
  }

  // Fills the window's pointers (base + position * C) and plane positions; returns the count.
  template <typename T>
  size_t window(int64_t oh, int64_t ow, T* base, T** ptrs, int32_t* positions) const {
    size_t n = 0;
    const int32_t* hs = wh.positions.data() + wh.first[oh];
    const int32_t* ws = ww.positions.data() + ww.first[ow];
    for (int32_t a = 0; a < wh.count[oh]; ++a)
      for (int32_t b = 0; b < ww.count[ow]; ++b) {
        const int64_t pos = int64_t(hs[a]) * p.W + ws[b];
        positions[n] = static_cast<int32_t>(pos);
        ptrs[n++] = base + pos * p.C;
      }
    return n;
  }
};

void forward(Kind kind, const Geometry& g, const float* input, float* output, int32_t* indices) {
  const Pool2dParams& p = g.p;
  const isa::PoolUkernels uk = selectUkernels();
  const int64_t rows = p.N * p.OH;
  const size_t maxWindow = size_t(g.wh.maxCount * g.ww.maxCount);
  const int threads = worthThreads(p, maxWindow);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    std::vector<const float*> ptrs(std::max<size_t>(maxWindow, 1));
    std::vector<int32_t> positions(std::max<size_t>(maxWindow, 1));
#pragma omp for schedule(static)
    for (int64_t row = 0; row < rows; ++row) {
      const int64_t n = row / p.OH, oh = row % p.OH;
      const float* plane = input + n * p.H * p.W * p.C;
      for (int64_t ow = 0; ow < p.OW; ++ow) {
        const size_t count = g.window(oh, ow, plane, ptrs.data(), positions.data());
        const int64_t o = (row * p.OW + ow) * p.C;
        if (kind == Kind::max)
          uk.maxForward(p.C, count, ptrs.data(), positions.data(), output + o, indices + o);
        else
          uk.avgForward(p.C, count, ptrs.data(), g.scale(oh, ow), output + o);
      }
    }
  }
}

void backward(Kind kind, const Geometry& g, const float* gradOutput, const int32_t* indices,
              float* gradInput) {
  const Pool2dParams& p = g.p;
  const isa::PoolUkernels uk = selectUkernels();
  const size_t maxWindow = size_t(g.wh.maxCount * g.ww.maxCount);
  const int threads = worthThreads(p, maxWindow);
  // Channel blocks (multiples of 16 so vectors stay whole) only when samples alone cannot
  // keep every thread busy.
  int64_t blocks = 1;
  if (p.N < 2 * threads && p.C >= 32)
    blocks = std::min<int64_t>((2 * threads + p.N - 1) / p.N, p.C / 16);
  const int64_t blockSize = ((p.C + blocks - 1) / blocks + 15) / 16 * 16;
  blocks = (p.C + blockSize - 1) / blockSize;
  const int64_t plane = p.H * p.W;
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    std::vector<float*> ptrs(std::max<size_t>(maxWindow, 1));
    std::vector<int32_t> positions(std::max<size_t>(maxWindow, 1));
#pragma omp for schedule(static)
    for (int64_t unit = 0; unit < p.N * blocks; ++unit) {
      const int64_t n = unit / blocks, c0 = (unit % blocks) * blockSize;
      const int64_t width = std::min(blockSize, p.C - c0);
      float* gin = gradInput + n * plane * p.C;
      if (blocks == 1)
        std::memset(gin, 0, sizeof(float) * plane * p.C);
      else
        for (int64_t i = 0; i < plane; ++i) std::memset(gin + i * p.C + c0, 0, sizeof(float) * width);
      for (int64_t oh = 0; oh < p.OH; ++oh)
        for (int64_t ow = 0; ow < p.OW; ++ow) {
          const size_t count = g.window(oh, ow, gin + c0, ptrs.data(), positions.data());
          const int64_t o = ((n * p.OH + oh) * p.OW + ow) * p.C + c0;
          if (kind == Kind::max)
            uk.maxBackward(width, count, ptrs.data(), positions.data(), gradOutput + o, indices + o);
          else
            uk.avgBackward(width, count, ptrs.data(), g.scale(oh, ow), gradOutput + o);
        }
    }
  }
}

}  // namespace

// Max forward: the row kernel computes each window's range inline (no pointer tables).
void maxPool2d(const Pool2dParams& p, const float* input, float* output, int32_t* indices) {
  const isa::PoolUkernels uk = selectUkernels();
  const isa::PoolRowArgs a{p.H, p.W, p.C, p.OW, p.kh, p.kw, p.sh, p.sw, p.ph, p.pw, p.dh, p.dw};
  const int64_t rows = p.N * p.OH;
  const int threads = worthThreads(p, size_t(p.kh * p.kw));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / p.OH, oh = row % p.OH, o = row * p.OW * p.C;
    uk.maxForwardRow(&a, input + n * p.H * p.W * p.C, oh, output + o, indices + o);
  }
}

void maxPool2dBackward(const Pool2dParams& p, const float* gradOutput, const int32_t* indices,
                       float* gradInput) {
  const AxisWindows wh = maxWindows(p.H, p.OH, p.kh, p.sh, p.ph, p.dh);
  const AxisWindows ww = maxWindows(p.W, p.OW, p.kw, p.sw, p.pw, p.dw);
  backward(Kind::max, Geometry{p, wh, ww}, gradOutput, indices, gradInput);
}

void avgPool2d(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
               const float* input, float* output) {
  const AxisWindows wh = avgWindows(p.H, p.OH, p.kh, p.sh, p.ph);
  const AxisWindows ww = avgWindows(p.W, p.OW, p.kw, p.sw, p.pw);
  forward(Kind::avg, Geometry{p, wh, ww, countIncludePad, divisorOverride}, input, output, nullptr);
}

void avgPool2dBackward(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
                       const float* gradOutput, float* gradInput) {
  const AxisWindows wh = avgWindows(p.H, p.OH, p.kh, p.sh, p.ph);
  const AxisWindows ww = avgWindows(p.W, p.OW, p.kw, p.sw, p.pw);
  backward(Kind::avg, Geometry{p, wh, ww, countIncludePad, divisorOverride}, gradOutput, nullptr,
           gradInput);
}

void adaptiveAvgPool2d(const Pool2dParams& p, const float* input, float* output) {
  if (p.OH == 1 && p.OW == 1 && p.H * p.W > 0) {
    // Global average: each sample's rows summed in one sequential sweep (a window of pointers
    // would walk the whole plane once per channel block).
    const isa::PoolUkernels uk = selectUkernels();
    const int64_t plane = p.H * p.W;
    const float scale = 1.0f / float(plane);
    const int threads = static_cast<int>(
        std::min<int64_t>(p.N, p.N * plane * p.C >= (int64_t(1) << 16) ? kernelThreads() : 1));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t n = 0; n < p.N; ++n) {
      float* out = output + n * p.C;
      std::fill(out, out + p.C, 0.0f);
      uk.sumRows(input + n * plane * p.C, plane, p.C, out);
      for (int64_t c = 0; c < p.C; ++c) out[c] *= scale;
    }
    return;
  }
  const AxisWindows wh = adaptiveWindows(p.H, p.OH), ww = adaptiveWindows(p.W, p.OW);
  forward(Kind::avg, Geometry{p, wh, ww}, input, output, nullptr);
}

void adaptiveAvgPool2dBackward(const Pool2dParams& p, const float* gradOutput, float* gradInput) {
  const AxisWindows wh = adaptiveWindows(p.H, p.OH), ww = adaptiveWindows(p.W, p.OW);
  backward(Kind::avg, Geometry{p, wh, ww}, gradOutput, nullptr, gradInput);
}

}  // namespace convkit
