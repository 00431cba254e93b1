// Depthwise convolution driver: weight repacking, multiplier expansion, threading over rows,
// dispatch over the ISA paths. The row kernels live in native/isa/<isa>/depthwise.cc.
//
// - Weights are repacked per call from [Cout, 1, KH, KW] to [KH*KW, Cp] (Cp = Cout rounded up
//   to 16, zero padded): a vector load then takes 16 consecutive output channels of one tap.
// - Multiplier m > 1 (rare: MobileNet and EfficientNet use m = 1) is reduced to m = 1 by
//   repeating each input channel m times into a scratch tensor (and, for the data gradient,
//   summing groups of m channels afterwards). This costs one extra pass over memory but keeps
//   one set of kernels.
// - Backward data at stride 1 is a forward pass over dy with the kernel flipped and the
//   padding mirrored (pad' = dilation * (K - 1) - pad), reusing the fast interior kernel;
//   other strides gather per input pixel.
// - Threads split the N*OH output rows (N*H input rows for the data gradient) evenly; the
//   weight gradient keeps per-thread partial sums reduced at the end.
// - An input seen through a batch norm (DepthwiseInputNorm): each thread normalises the input
//   rows of a run of its output rows into a buffer in L2 (the batch-norm apply kernel) and runs
//   the kernels on that run as a one-image problem. Measured (batch 16, relu6, 2 threads):
//   112x112x96 stride 2, norm + conv forward 5.1 -> 2.6 ms, weight gradient 2.4 -> 2.8 ms.
#include "depthwise.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../isa/depthwise_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "batchnorm.h"
#include "batchnorm_driver.h"

namespace convkit {

namespace {

struct DepthwisePath {
  Isa isa;
  const char* name;
  isa::DepthwiseForwardFn forward;
  isa::DepthwiseBackwardDataFn backwardData;
  isa::DepthwiseBackwardWeightsFn backwardWeights;
};

const DepthwisePath kPaths[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::avx512, "f32_depthwise__avx512", isa::f32_depthwise_forward__avx512,
     isa::f32_depthwise_backward_data__avx512, isa::f32_depthwise_backward_weights__avx512},
    {Isa::avx2, "f32_depthwise__avx2", isa::f32_depthwise_forward__avx2,
     isa::f32_depthwise_backward_data__avx2, isa::f32_depthwise_backward_weights__avx2},
#endif
    {Isa::generic, "f32_depthwise__generic", isa::f32_depthwise_forward__generic,
     isa::f32_depthwise_backward_data__generic, isa::f32_depthwise_backward_weights__generic},
};

const DepthwisePath& selectPath() {
  const Isa active = activeIsa();
  for (const DepthwisePath& path : kPaths)
    if (static_cast<int>(path.isa) <= static_cast<int>(active)) return path;
  return kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];
}

int64_t paddedChannels(int64_t c) {
  return (c + isa::kDepthwiseChannelPad - 1) / isa::kDepthwiseChannelPad *
         isa::kDepthwiseChannelPad;
}

// weight [Cout, 1, KH, KW] -> [KH*KW, Cp], taps reversed when `flip` (for the data gradient).
void packWeights(const DepthwiseGeometry& g, const float* weight, bool flip, float* packed) {
  const int64_t Cout = g.outChannels(), Cp = paddedChannels(Cout), taps = g.KH * g.KW;
  std::memset(packed, 0, sizeof(float) * taps * Cp);
  for (int64_t co = 0; co < Cout; ++co)
    for (int64_t t = 0; t < taps; ++t)
      packed[(flip ? taps - 1 - t : t) * Cp + co] = weight[co * taps + t];
}

isa::DepthwiseArgs makeArgs(const DepthwiseGeometry& g, const float* packedWeight,
                            const float* bias, Activation activation) {
  isa::DepthwiseArgs a;
  a.N = g.N;
  a.H = g.H;
  a.W = g.W;
  a.OH = g.OH();
  a.OW = g.OW();
  a.C = g.outChannels();
  a.Cp = paddedChannels(a.C);
  a.KH = g.KH;
  a.KW = g.KW;
  a.strideH = g.strideH;
  a.strideW = g.strideW;
  a.padTop = g.padTop;
  a.padLeft = g.padLeft;
  a.dilationH = g.dilationH;
  a.dilationW = g.dilationW;
  a.weight = packedWeight;
  a.bias = bias;
  a.activation = static_cast<int>(activation);
  return a;
}

// Runs body(begin, end) over [0, rows) split evenly across the kernel's threads.
template <typename Body>
void parallelRows(int64_t rows, Body&& body) {
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), std::max<int64_t>(rows, 1)));
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int64_t t = threadIndex(), n = threadCount();
    body(rows * t / n, rows * (t + 1) / n);
  }
}

// x [N,H,W,C] -> [N,H,W,C*m], each channel repeated m times (output channel c*m+j reads c).
void expandChannels(const DepthwiseGeometry& g, const float* x, float* expanded) {
  const int64_t m = g.multiplier, C = g.C;
  parallelRows(g.N * g.H, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin * g.W; p < end * g.W; ++p)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t j = 0; j < m; ++j) expanded[(p * C + c) * m + j] = x[p * C + c];
  });
}

// Normalised input rows per chunk: about this many bytes, in L2 while the kernel reads them.
constexpr int64_t kNormRowsBytes = 384 * 1024;

// Chunks work when every output row's window overlaps a real input row (padding narrower than
// the dilated kernel) and channels are not repeated; otherwise the whole input is normalised.
bool normInChunks(const DepthwiseGeometry& g) {
  const int64_t extent = g.dilationH * (g.KH - 1) + 1;
  return g.multiplier == 1 && g.padTop < extent && g.padBottom < extent;
}

// x' = the normalised x, written whole (the fallback of normInChunks).
void normalizeAll(const DepthwiseGeometry& g, const float* x, const DepthwiseInputNorm& norm,
                  float* out) {
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  const float* affine = norm.affine;
  const int64_t C = g.C;
  parallelRows(g.N * g.H, [&](int64_t begin, int64_t end) {
    k.apply(x + begin * g.W * C, out + begin * g.W * C, (end - begin) * g.W, C, C, affine,
            affine + C, affine + 2 * C, affine + 3 * C, nullptr, norm.activation, false);
  });
}

// For output rows [begin, end) of the N*OH: runs of rows within one image, each with the input
// rows its windows read normalised into buf, as a one-image problem over those rows:
// body(args, firstOutputRow, rows) with args.H = the normalised rows and padTop shifted to them.
template <typename Body>
void forEachNormalizedRun(const DepthwiseGeometry& g, const isa::DepthwiseArgs& a, const float* x,
                          const DepthwiseInputNorm& norm, int64_t begin, int64_t end, float* buf,
                          int64_t bufRows, Body&& body) {
  const bn_driver::BnKernels k = bn_driver::kernelsFor(activeIsa());
  const float* affine = norm.affine;
  const int64_t C = g.C, rowFloats = g.W * C, OH = a.OH;
  const int64_t extent = g.dilationH * (g.KH - 1) + 1;
  const int64_t outRows = std::max<int64_t>(1, (bufRows - extent) / g.strideH + 1);
  for (int64_t r = begin; r < end;) {
    const int64_t n = r / OH, o0 = r % OH, o1 = std::min({OH, o0 + outRows, end - n * OH});
    // The windows of rows o0 .. o1-1 read input rows lo .. hi, clipped to the image (normInChunks
    // keeps the clipped range non-empty).
    const int64_t lo = o0 * g.strideH - g.padTop, hi = (o1 - 1) * g.strideH - g.padTop + extent - 1;
    const int64_t first = std::max<int64_t>(lo, 0), last = std::min(hi, g.H - 1);
    k.apply(x + (n * g.H + first) * rowFloats, buf, (last - first + 1) * g.W, C, C, affine,
            affine + C, affine + 2 * C, affine + 3 * C, nullptr, norm.activation, false);
    isa::DepthwiseArgs s = a;
    s.N = 1;
    s.H = last - first + 1;
    s.OH = o1 - o0;
    s.padTop = g.padTop + first - o0 * g.strideH;
    body(s, n * OH + o0, o1 - o0);
    r = n * OH + o1;
  }
}

// Rows of buf: the kernel's extent at least, else about kNormRowsBytes.
int64_t normBufferRows(const DepthwiseGeometry& g) {
  const int64_t extent = g.dilationH * (g.KH - 1) + 1;
  const int64_t rows = kNormRowsBytes / std::max<int64_t>(1, g.W * g.C * int64_t(sizeof(float)));
  return std::min(g.H, std::max(rows, extent));
}

}  // namespace

const char* depthwiseKernelName() { return selectPath().name; }

void depthwiseConv2dForward(const DepthwiseGeometry& g, const float* x, const float* weight,
                            const float* bias, Activation activation, float* y,
                            BatchStats* stats, const DepthwiseInputNorm* norm) {
  const int64_t Cout = g.outChannels(), Cp = paddedChannels(Cout), OH = g.OH();
  if (g.N == 0 || Cout == 0 || OH == 0 || g.OW() == 0) return;
  const DepthwisePath& path = selectPath();
  Scratch packed(sizeof(float) * (g.KH * g.KW + 1) * Cp);
  float* w = packed.as<float>();
  packWeights(g, weight, false, w);
  float* b = nullptr;
  if (bias) {
    b = w + g.KH * g.KW * Cp;
    std::memset(b, 0, sizeof(float) * Cp);
    std::memcpy(b, bias, sizeof(float) * Cout);
  }
  const bool chunks = norm && normInChunks(g);
  Scratch normalized(norm && !chunks ? sizeof(float) * g.N * g.H * g.W * g.C : 0);
  if (norm && !chunks) {
    normalizeAll(g, x, *norm, normalized.as<float>());
    x = normalized.as<float>();
  }
  Scratch expanded(g.multiplier > 1 ? sizeof(float) * g.N * g.H * g.W * Cout : 0);
  if (g.multiplier > 1) {
    expandChannels(g, x, expanded.as<float>());
    x = expanded.as<float>();
  }
  const isa::DepthwiseArgs a = makeArgs(g, w, b, activation);
  const int64_t rowFloats = g.OW() * Cout;
  if (chunks) {
    const int64_t bufRows = normBufferRows(g);
    parallelRows(g.N * OH, [&](int64_t begin, int64_t end) {
      Scratch buf(sizeof(float) * bufRows * g.W * g.C);
      forEachNormalizedRun(g, a, x, *norm, begin, end, buf.as<float>(), bufRows,
                           [&](const isa::DepthwiseArgs& s, int64_t row, int64_t rows) {
                             float* out = y + row * rowFloats;
                             path.forward(&s, buf.as<float>(), out, 0, rows);
                             if (stats) stats->add(threadIndex(), out, rows * g.OW());
                           });
    });
    return;
  }
  if (!stats) {
    parallelRows(g.N * OH, [&](int64_t begin, int64_t end) { path.forward(&a, x, y, begin, end); });
    return;
  }
  // Output rows in runs of ~256 KiB, each run's statistics summed right after it is written.
  const int64_t run =
      std::max<int64_t>(1, BatchStats::kChunkFloats / std::max<int64_t>(rowFloats, 1));
  parallelRows(g.N * OH, [&](int64_t begin, int64_t end) {
    for (int64_t r0 = begin; r0 < end; r0 += run) {
      const int64_t r1 = std::min(end, r0 + run);
      path.forward(&a, x, y, r0, r1);
      stats->add(threadIndex(), y + r0 * rowFloats, (r1 - r0) * g.OW());
    }
  });
}

namespace {

// Per-thread sums of DepthwiseNormGradient over runs of dx rows, merged into its sums at the end.
class NormGradientSums {
 public:
  NormGradientSums(const DepthwiseGeometry& g, const DepthwiseNormGradient* ng, int threads)
      : g_(g), ng_(ng), k_(bn_driver::kernelsFor(activeIsa())),
        parts_(ng ? size_t(2 * g.C * threads) : 0, 0.0),
        scratch_(ng ? size_t(2 * g.C * threads) : 0) {}
  bool on() const { return ng_ != nullptr; }
  // Input rows [r0, r1) of dx (rows of W pixels) on thread t.
  void add(int t, float* dx, int64_t r0, int64_t r1) {
    const int64_t C = g_.C, offset = r0 * g_.W * C;
    double* mine = parts_.data() + 2 * C * t;
    k_.backwardSums(ng_->h + offset, dx + offset, nullptr, (r1 - r0) * g_.W, C, C, ng_->mean,
                    ng_->affine, ng_->activation, mine, mine + C, scratch_.data() + 2 * C * t,
                    ng_->activation ? dx + offset : nullptr);
  }
  void merge(int threads) {
    for (int t = 0; t < threads; ++t)
      for (int64_t c = 0; c < 2 * g_.C; ++c) ng_->sums[c] += parts_[2 * g_.C * t + c];
  }

 private:
  const DepthwiseGeometry& g_;
  const DepthwiseNormGradient* ng_;
  bn_driver::BnKernels k_;
  std::vector<double> parts_;
  std::vector<float> scratch_;
};

}  // namespace

void depthwiseConv2dBackwardData(const DepthwiseGeometry& g, const float* dy,
                                 const float* weight, float* dx,
                                 const DepthwiseNormGradient* normGradient) {
  const int64_t Cout = g.outChannels(), Cp = paddedChannels(Cout);
  const int64_t inputSize = g.N * g.H * g.W * g.C;
  if (inputSize == 0) return;
  const DepthwisePath& path = selectPath();
  Scratch expanded(g.multiplier > 1 ? sizeof(float) * g.N * g.H * g.W * Cout : 0);
  float* dxe = g.multiplier > 1 ? expanded.as<float>() : dx;
  const bool unitStride = g.strideH == 1 && g.strideW == 1;
  Scratch packed(sizeof(float) * g.KH * g.KW * Cp);
  packWeights(g, weight, unitStride, packed.as<float>());
  isa::DepthwiseArgs a = makeArgs(g, packed.as<float>(), nullptr, Activation::none);
  // Forward over dy (OH x OW) producing dx (H x W) with the flipped kernel at stride 1.
  isa::DepthwiseArgs t = a;
  t.H = a.OH;
  t.W = a.OW;
  t.OH = g.H;
  t.OW = g.W;
  t.padTop = g.dilationH * (g.KH - 1) - g.padTop;
  t.padLeft = g.dilationW * (g.KW - 1) - g.padLeft;
  auto rowsOfDx = [&](int64_t begin, int64_t end) {
    if (unitStride)
      path.forward(&t, dy, dxe, begin, end);
    else
      path.backwardData(&a, dy, dxe, begin, end);
  };
  // The norm's sums over runs of ~256 KiB of dx rows, right after each is written (with a
  // channel multiplier, after the groups are summed below).
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), std::max<int64_t>(g.N * g.H, 1)));
  NormGradientSums sums(g, normGradient, threads);
  const bool sumRuns = sums.on() && g.multiplier == 1;
  const int64_t run =
      std::max<int64_t>(1, BatchStats::kChunkFloats / std::max<int64_t>(g.W * g.C, 1));
  parallelRows(g.N * g.H, [&](int64_t begin, int64_t end) {
    if (!sumRuns) return rowsOfDx(begin, end);
    for (int64_t r0 = begin; r0 < end; r0 += run) {
      const int64_t r1 = std::min(end, r0 + run);
      rowsOfDx(r0, r1);
      sums.add(threadIndex(), dxe, r0, r1);
    }
  });
  if (g.multiplier > 1) {
    const int64_t m = g.multiplier;
    parallelRows(g.N * g.H, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin * g.W * g.C; i < end * g.W * g.C; ++i) {
        float s = 0;
        for (int64_t j = 0; j < m; ++j) s += dxe[i * m + j];
        dx[i] = s;
      }
    });
  }
  if (sums.on() && !sumRuns)
    parallelRows(g.N * g.H, [&](int64_t begin, int64_t end) { sums.add(threadIndex(), dx, begin, end); });
  if (sums.on()) sums.merge(threads);
}

void depthwiseConv2dBackwardWeights(const DepthwiseGeometry& g, const float* x, const float* dy,
                                    float* dweight, float* dbias, const DepthwiseInputNorm* norm) {
  const int64_t Cout = g.outChannels(), Cp = paddedChannels(Cout), taps = g.KH * g.KW;
  const int64_t rows = g.N * g.OH();
  if (Cout == 0) return;
  const DepthwisePath& path = selectPath();
  const bool chunks = norm && rows > 0 && normInChunks(g);
  Scratch normalized(norm && !chunks && rows > 0 ? sizeof(float) * g.N * g.H * g.W * g.C : 0);
  if (norm && !chunks && rows > 0) {
    normalizeAll(g, x, *norm, normalized.as<float>());
    x = normalized.as<float>();
  }
  Scratch expanded(g.multiplier > 1 && rows > 0 ? sizeof(float) * g.N * g.H * g.W * Cout : 0);
  if (g.multiplier > 1 && rows > 0) {
    expandChannels(g, x, expanded.as<float>());
    x = expanded.as<float>();
  }
  const int threads = static_cast<int>(std::min<int64_t>(kernelThreads(), std::max<int64_t>(rows, 1)));
  const int64_t partialSize = (taps + 1) * Cp;  // dweight then dbias
  Scratch partials(sizeof(float) * partialSize * threads);
  float* part = partials.as<float>();
  std::memset(part, 0, sizeof(float) * partialSize * threads);
  const isa::DepthwiseArgs a = makeArgs(g, nullptr, nullptr, Activation::none);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int64_t t = threadIndex(), n = threadCount();
    float* mine = part + t * partialSize;
    float* mineBias = dbias ? mine + taps * Cp : nullptr;
    if (chunks) {
      const int64_t bufRows = normBufferRows(g);
      Scratch buf(sizeof(float) * bufRows * g.W * g.C);
      forEachNormalizedRun(g, a, x, *norm, rows * t / n, rows * (t + 1) / n, buf.as<float>(),
                           bufRows, [&](const isa::DepthwiseArgs& s, int64_t row, int64_t count) {
                             path.backwardWeights(&s, buf.as<float>(), dy + row * g.OW() * Cout,
                                                  mine, mineBias, 0, count);
                           });
    } else {
      path.backwardWeights(&a, x, dy, mine, mineBias, rows * t / n, rows * (t + 1) / n);
    }
  }
  // Reduce the partial sums (thread order fixed: results do not depend on timing).
  for (int64_t co = 0; co < Cout; ++co) {
    for (int64_t k = 0; k < taps; ++k) {
      float s = 0;
      for (int t = 0; t < threads; ++t) s += part[t * partialSize + k * Cp + co];
      dweight[co * taps + k] = s;
    }
    if (dbias) {
      float s = 0;
      for (int t = 0; t < threads; ++t) s += part[t * partialSize + taps * Cp + co];
      dbias[co] = s;
    }
  }
}

}  // namespace convkit
