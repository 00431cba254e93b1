// Convolution as im2col + packed GEMM (dense and wide groups), and the dispatch to the direct
// grouped kernel (conv_grouped.cc) for narrow groups and to the implicit GEMM
// (conv_implicit.cc) for stride-1 convolutions where it is measured faster.
//
// im2col row layout (one row per output pixel, batch folded into M = N*OH*OW):
//   [group][kh][kw][cin of the group]   (K = KH*KW*Cin/groups per group, Ktot = groups*K)
// so channels stay innermost (NHWC copies are contiguous runs of Cin/groups floats, and for
// groups = 1 and dilation 1 a whole kernel row is one run of KW*Cin floats), and each group's
// block of columns is a plain sub-matrix (lda = Ktot) the GEMM reads in place. The weight is
// reordered to Wp [Cout][kh][kw][cin/g], the same column order, and packed once per call as
// the GEMM's B (sgemmPackB): Y[M, Cout] = col x Wp^T. 1x1 stride-1 unpadded convs skip im2col.
//
// Forward: one parallel region; each thread takes chunks of rows (dynamic schedule), gathers
// them into its own L2-sized col buffer and runs a one-thread GEMM on it against the shared
// packed weight -- no barriers, no re-packing. Backward-data with stride 1 is the forward
// conv of dy with the flipped, transposed weight; other strides use dcol = dY x Wp + col2im.
// Backward-weights packs each chunk's columns straight from x into the GEMM's B layout and
// accumulates dY^T x B into per-thread partials.
#include "conv.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "batchnorm.h"
#include "conv_common.h"
#include "conv_grouped.h"
#include "conv_implicit.h"
#include "conv_pointwise.h"
#include "conv_stem.h"
#include "conv_winograd.h"

namespace convkit {

namespace {

constexpr int64_t kChunkBytes = 2 << 20;  // im2col buffer per thread (backward passes)
// Weight reorders and partial-sum reductions from this many floats run on all threads.
constexpr int64_t kParallelCopyFloats = int64_t(1) << 16;
// Forward im2col chunk per thread: half of a 1 MiB L2 (384 KiB - 1 MiB measured within noise,
// 2 MiB 5-10% slower on the 64-channel layers).
constexpr int64_t kColBytes = 512 * 1024;

// The weight as GEMM rows: Wp[co][(kh*KW + kw)*cig + j] = w[co][j][kh][kw]. A 1x1 weight
// already is (no copy: 8 MB at 1024 <-> 2048 channels cost ~0.5 ms on one thread).
class WeightRows {
 public:
  WeightRows(const Conv2dParams& p, const Geometry& g, const float* w)
      : buf_(p.KH * p.KW == 1 ? 0 : sizeof(float) * p.Cout * g.Kg), rows_(w) {
    const int64_t taps = p.KH * p.KW;
    if (taps == 1) return;
    float* wp = buf_.as<float>();
    // Both threads: 2.4M floats at 512 -> 512 channels took ~2 ms on one while the other idled.
#pragma omp parallel for num_threads(kernelThreads()) if (p.Cout * g.Kg >= kParallelCopyFloats)
    for (int64_t co = 0; co < p.Cout; ++co)
      for (int64_t j = 0; j < g.cig; ++j)
        for (int64_t t = 0; t < taps; ++t) wp[co * g.Kg + t * g.cig + j] = w[(co * g.cig + j) * taps + t];
    rows_ = wp;
  }
  const float* data() const { return rows_; }

 private:
  Scratch buf_;
  const float* rows_;
};

// Rows [r0, r1) of the im2col matrix (global row = (n*OH + oh)*OW + ow) into col (ld Ktot).
void im2col(const Conv2dParams& p, const Geometry& g, const float* x, int64_t r0, int64_t r1,
            float* col) {
  const bool runs = p.groups == 1 && p.dilationW == 1;
  // (n, oh, ow) of row r0, then stepped row by row (no divisions per row).
  int64_t n = r0 / (g.OH * g.OW), oh = (r0 % (g.OH * g.OW)) / g.OW, ow = r0 % g.OW;
  for (int64_t r = r0; r < r1; ++r, ++ow) {
    if (ow == g.OW) {
      ow = 0;
      if (++oh == g.OH) {
        oh = 0;
        ++n;
      }
    }
    float* dst = col + (r - r0) * g.Ktot;
    const int64_t iw0 = ow * p.strideW - p.padLeft;
    for (int64_t kh = 0; kh < p.KH; ++kh) {
      const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
      float* drow = dst + kh * p.KW * g.cig;
      if (ih < 0 || ih >= p.H) {
        for (int64_t gr = 0; gr < p.groups; ++gr) zeroFloats(drow + gr * g.Kg, p.KW * g.cig);
        continue;
      }
      const float* xrow = x + (n * p.H + ih) * p.W * p.Cin;
      if (runs && iw0 >= 0 && iw0 + p.KW <= p.W) {
        copyFloats(drow, xrow + iw0 * p.Cin, p.KW * p.Cin);
        continue;
      }
      for (int64_t kw = 0; kw < p.KW; ++kw) {
        const int64_t iw = iw0 + kw * p.dilationW;
        for (int64_t gr = 0; gr < p.groups; ++gr) {
          float* d = drow + gr * g.Kg + kw * g.cig;
          if (iw < 0 || iw >= p.W)
            zeroFloats(d, g.cig);
          else
            copyFloats(d, xrow + iw * p.Cin + gr * g.cig, g.cig);
        }
      }
    }
  }
}

// dx += col2im(dcol) for rows [r0, r1), all in image n (scatter-add; callers keep images
// disjoint between threads).
void col2im(const Conv2dParams& p, const Geometry& g, const float* dcol, int64_t r0, int64_t r1,
            float* dx) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t n = r / (g.OH * g.OW), pix = r % (g.OH * g.OW);
    const int64_t oh = pix / g.OW, ow = pix % g.OW;
    const float* src = dcol + (r - r0) * g.Ktot;
    for (int64_t kh = 0; kh < p.KH; ++kh) {
      const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
      if (ih < 0 || ih >= p.H) continue;
      for (int64_t kw = 0; kw < p.KW; ++kw) {
        const int64_t iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
        if (iw < 0 || iw >= p.W) continue;
        float* d = dx + ((n * p.H + ih) * p.W + iw) * p.Cin;
        for (int64_t gr = 0; gr < p.groups; ++gr) {
          const float* s = src + gr * g.Kg + (kh * p.KW + kw) * g.cig;
          float* dd = d + gr * g.cig;
          for (int64_t j = 0; j < g.cig; ++j) dd[j] += s[j];
        }
      }
    }
  }
}


// Wp packed once per call for the GEMM (one PackedB per group), shared by every row chunk.
struct PackedWeight {
  Scratch buf;
  std::vector<PackedB> groups;
  PackedWeight(const Conv2dParams& p, const Geometry& g, const float* wp)
      : buf(sizeof(float) * p.groups * sgemmPackedBFloats(g.cog, g.Kg)) {
    const int64_t stride = sgemmPackedBFloats(g.cog, g.Kg);
    for (int64_t gr = 0; gr < p.groups; ++gr)
      groups.push_back(sgemmPackB(true, g.cog, g.Kg, 1.0f, wp + gr * g.cog * g.Kg, g.Kg,
                                  buf.as<float>() + gr * stride));
  }
};

// Y rows [r0, r1) = A rows x Wp^T per group, with the epilogue offset to those rows.
void forwardRows(int threads, const Conv2dParams& p, const Geometry& g, const float* a,
                 int64_t lda, const PackedWeight& wp, const GemmEpilogue* epi, float* y,
                 int64_t r0, int64_t r1) {
  for (int64_t gr = 0; gr < p.groups; ++gr) {
    GemmEpilogue e;
    if (epi) {
      e.bias = epi->bias ? epi->bias + gr * g.cog : nullptr;
      e.residual = epi->residual ? epi->residual + r0 * p.Cout + gr * g.cog : nullptr;
      e.ldResidual = p.Cout;
      e.activation = epi->activation;
    }
    sgemmPackedB(threads, false, r1 - r0, a + gr * g.Kg, lda, wp.groups[gr], 0.0f,
                 y + r0 * p.Cout + gr * g.cog, p.Cout, epi ? &e : nullptr);
  }
}

// Rows per im2col chunk: about kColBytes of col (stays in L2 between im2col and the GEMM), a
// multiple of the GEMM row tile, and small enough to give every thread a few chunks.
int64_t forwardChunkRows(const Geometry& g, int threads, int mr) {
  int64_t rows = kColBytes / (g.Ktot * int64_t(sizeof(float)));
  const int64_t balanced = (g.M + 4 * threads - 1) / (4 * threads);
  rows = std::min(rows, balanced);
  rows = std::max<int64_t>(rows / mr * mr, 4 * mr);
  return std::min(rows, std::max<int64_t>(g.M, 1));
}

// 1x1 stride-1 backward-weights on the in-place microkernel, unless im2col is forced or
// (automatic) dW is 8 MB or more: that kernel sweeps all of dW every 128 rows, and the
// cache-blocked GEMM measured 1.4-1.5x faster there (ResNeXt-50's 2048 <-> 1024 at 7x7,
// batch 16: 210-230 vs 320-330 GF/s). Automatic calls try conv_pointwise.h's paths first.
bool usePointwiseWeights(const Conv2dParams& p, ConvAlgorithm algorithm) {
  if (!pointwiseWeightsApplies(p) || algorithm == ConvAlgorithm::gemm) return false;
  return algorithm != ConvAlgorithm::automatic || p.Cout * p.Cin < (int64_t(1) << 21);
}
bool useImplicit(const Conv2dParams& p, ConvAlgorithm algorithm) {
  return implicitApplies(p) && (algorithm == ConvAlgorithm::implicit ||
                                (algorithm == ConvAlgorithm::automatic && implicitPreferred(p)));
}
// A 1x1 convolution whose output's batch statistics are wanted (a batch norm follows): each
// thread computes chunks of rows with a one-thread GEMM and sums each chunk's statistics right
// after, while it is in L2 (~256 KiB of output per chunk), so the batch norm does not read the
// output an extra time. Chunks go to threads statically: the sums do not depend on timing.
void pointwiseForwardWithStats(int threads, const Conv2dParams& p, const Geometry& g,
                               const float* x, const PackedWeight& wp, const GemmEpilogue* epi,
                               float* y, BatchStats* stats) {
  const int mr = wp.groups[0].mr;
  int64_t rows = std::max<int64_t>(mr, BatchStats::kChunkFloats / std::max<int64_t>(p.Cout, 1));
  rows = std::min(rows / mr * mr, std::max<int64_t>(g.M, 1));
  const int64_t chunks = (g.M + rows - 1) / rows;
  const int team = static_cast<int>(std::min<int64_t>({threads, chunks, stats->parts()}));
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    for (int64_t c = chunks * t / nt; c < chunks * (t + 1) / nt; ++c) {
      const int64_t r0 = c * rows, r1 = std::min(g.M, r0 + rows);
      forwardRows(1, p, g, x + r0 * p.Cin, p.Cin, wp, epi, y, r0, r1);
      stats->add(t, y + r0 * p.Cout, r1 - r0);
    }
  }
}

// Returns whether it summed y's statistics into `stats` (1x1, one group), else the caller does.
bool gemmForward(const Conv2dParams& p, const float* x, const float* w, const GemmEpilogue* epi,
                 float* y, ConvAlgorithm algorithm = ConvAlgorithm::automatic,
                 BatchStats* stats = nullptr) {
  if (useImplicit(p, algorithm)) {
    implicitForward(p, x, w, epi, y);
    return false;
  }
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const PackedWeight wp(p, g, WeightRows(p, g, w).data());
  if (isPointwise(p)) {
    if (stats && p.groups == 1) {
      pointwiseForwardWithStats(threads, p, g, x, wp, epi, y, stats);
      return true;
    }
    forwardRows(threads, p, g, x, p.Cin, wp, epi, y, 0, g.M);
    return false;
  }
  const int64_t rows = forwardChunkRows(g, threads, wp.groups[0].mr);
  const int64_t chunks = (g.M + rows - 1) / rows;
  const size_t colBytes = sizeof(float) * rows * g.Ktot;
  const int team = static_cast<int>(std::min<int64_t>(threads, chunks));
  if (convVerbose())
    std::fprintf(stderr, "convkit: conv2d forward im2col-gemm M=%lld K=%lld N=%lld chunk=%lld rows x %d threads\n",
                 static_cast<long long>(g.M), static_cast<long long>(g.Ktot),
                 static_cast<long long>(p.Cout), static_cast<long long>(rows), team);
  // One region: each thread gathers a chunk of im2col rows into its own buffer and runs a
  // one-thread GEMM on it while it is still in L2 (no barriers; B is already packed).
#pragma omp parallel num_threads(team) if (team > 1)
  {
    Scratch col(colBytes);
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t r0 = c * rows, r1 = std::min(g.M, r0 + rows);
      im2col(p, g, x, r0, r1, col.as<float>());
      forwardRows(1, p, g, col.as<float>(), g.Ktot, wp, epi, y, r0, r1);
    }
  }
  return false;
}

// For stride 1, dx is the forward convolution of dy with the weight flipped in space and
// transposed per group (w'[ci][jo][kh][kw] = w[co][j][KH-1-kh][KW-1-kw]) and padding
// dilation*(K-1) - pad per side: the fast forward path, with no col2im scatter. Returns false
// when that does not apply (stride > 1, or padding wider than the kernel's reach).
bool backwardDataAsForward(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                           ConvAlgorithm algorithm) {
  if (p.strideH != 1 || p.strideW != 1 || isPointwise(p)) return false;
  const int64_t reachH = p.dilationH * (p.KH - 1), reachW = p.dilationW * (p.KW - 1);
  if (p.padTop > reachH || p.padBottom > reachH || p.padLeft > reachW || p.padRight > reachW)
    return false;
  const Geometry g = geometry(p);
  Conv2dParams q = p;
  q.H = g.OH;
  q.W = g.OW;
  q.Cin = p.Cout;
  q.Cout = p.Cin;
  q.padTop = reachH - p.padTop;
  q.padBottom = reachH - p.padBottom;
  q.padLeft = reachW - p.padLeft;
  q.padRight = reachW - p.padRight;
  const int64_t taps = p.KH * p.KW;
  Scratch wtBuf(sizeof(float) * p.Cin * g.cog * taps);
  float* wt = wtBuf.as<float>();
#pragma omp parallel for collapse(2) num_threads(kernelThreads()) \
    if (p.Cin * g.cog * taps >= kParallelCopyFloats)
  for (int64_t gr = 0; gr < p.groups; ++gr)
    for (int64_t jo = 0; jo < g.cog; ++jo)
      for (int64_t j = 0; j < g.cig; ++j) {
        const float* src = w + ((gr * g.cog + jo) * g.cig + j) * taps;
        float* dst = wt + ((gr * g.cig + j) * g.cog + jo) * taps;
        for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];
      }
  gemmForward(q, dy, wt, nullptr, dx, algorithm);
  return true;
}

// Small output images (7x7, 14x14: a strided layer deep in the network): one GEMM per image
// would have a few dozen rows and re-pack the whole weight each time (16 x 9.4 MB for 3x3
// 512 -> 512 at 7x7, batch 16). Instead whole images go in chunks of about kSmallImageChunk
// rows through one threaded GEMM each, then the chunk's images are scattered into dx in
// parallel (different images never overlap in dx).
constexpr int64_t kSmallImageRows = 256;
constexpr int64_t kSmallImageChunk = 1024;

template <typename DataRows>
void smallImagesBackwardData(const Conv2dParams& p, const Geometry& g, int threads,
                             const DataRows& dataRows, float* dx) {
  const int64_t perImage = g.OH * g.OW, imageFloats = p.H * p.W * p.Cin;
  const int64_t images = std::max<int64_t>(1, std::min(p.N, kSmallImageChunk / perImage));
  Scratch col(sizeof(float) * images * perImage * g.Ktot);
  for (int64_t n0 = 0; n0 < p.N; n0 += images) {
    const int64_t n1 = std::min(p.N, n0 + images), r0 = n0 * perImage;
    dataRows(threads, col.as<float>(), g.Ktot, r0, n1 * perImage);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t n = n0; n < n1; ++n) {
      std::memset(dx + n * imageFloats, 0, sizeof(float) * imageFloats);
      col2im(p, g, col.as<float>() + (n * perImage - r0) * g.Ktot, n * perImage,
             (n + 1) * perImage, dx);
    }
  }
}

// dcol rows = dY rows x Wp (per group), then scattered into dx. Images are split between
// threads when there are enough of them; otherwise images run in order with a threaded GEMM.
void gemmBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                      ConvAlgorithm algorithm, bool accumulate = false) {
  if (!accumulate && backwardDataAsForward(p, dy, w, dx, algorithm)) return;
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const WeightRows weightRows(p, g, w);
  const float* wp = weightRows.data();
  auto dataRows = [&](int t, float* out, int64_t ldo, int64_t r0, int64_t r1, float beta = 0.0f) {
    for (int64_t gr = 0; gr < p.groups; ++gr)
      sgemmThreads(t, false, false, r1 - r0, g.Kg, g.cog, 1.0f, dy + r0 * p.Cout + gr * g.cog,
                   p.Cout, wp + gr * g.cog * g.Kg, g.Kg, beta, out + gr * g.Kg, ldo);
  };
  if (isPointwise(p)) {
    dataRows(threads, dx, p.Cin, 0, g.M, accumulate ? 1.0f : 0.0f);
    return;
  }
  // Each image's dx is cleared by the thread that scatters into it, right before (in parallel,
  // and the image is then in cache: one memset of all of dx was 51 MB on one thread at 56x56x256).
  const int64_t perImage = g.OH * g.OW, imageFloats = p.H * p.W * p.Cin;
  if (threads > 1 && perImage < kSmallImageRows) {
    smallImagesBackwardData(p, g, threads, dataRows, dx);
    return;
  }
  const int64_t rows = std::min(perImage, std::max<int64_t>(64, kChunkBytes / (g.Ktot * 4)));
  const size_t colBytes = sizeof(float) * rows * g.Ktot;
  auto image = [&](int t, int64_t n, float* col) {
    std::memset(dx + n * imageFloats, 0, sizeof(float) * imageFloats);
    for (int64_t r0 = n * perImage; r0 < (n + 1) * perImage; r0 += rows) {
      const int64_t r1 = std::min((n + 1) * perImage, r0 + rows);
      dataRows(t, col, g.Ktot, r0, r1);
      col2im(p, g, col, r0, r1, dx);
    }
  };
  if (threads > 1 && (p.N >= 4 * threads || p.N % threads == 0)) {
#pragma omp parallel num_threads(threads)
    {
      Scratch col(colBytes);
#pragma omp for schedule(dynamic, 1)
      for (int64_t n = 0; n < p.N; ++n) image(1, n, col.as<float>());
    }
    return;
  }
  Scratch col(colBytes);
  for (int64_t n = 0; n < p.N; ++n) image(threads, n, col.as<float>());
}

// Rows per backward-weights chunk: one GEMM K block (the rows are the GEMM's reduction), so
// each chunk's packed columns stay in L2 and each chunk adds into dW once.
int64_t backwardWeightsChunkRows(const Geometry& g, int threads) {
  const int64_t balanced = (g.M + 2 * threads - 1) / (2 * threads);
  return std::max<int64_t>(1, std::min<int64_t>(256, balanced));
}

// A run of im2col columns inside one B panel that come from one tap: `count` channels from
// channel `channel` of the pixel at (dh, dw) from the row's origin, written at `offset`.
struct ColumnRun {
  int64_t offset, dh, dw, channel, count;
};

// The runs of every NR-column panel of the packed block (they do not depend on the row).
std::vector<ColumnRun> columnRuns(const Conv2dParams& p, const Geometry& g, int64_t jc,
                                  int64_t nc, int NR, std::vector<int64_t>& panelStart) {
  std::vector<ColumnRun> runs;
  panelStart.clear();
  const int64_t panels = (nc + NR - 1) / NR;
  for (int64_t q = 0; q < panels; ++q) {
    panelStart.push_back(static_cast<int64_t>(runs.size()));
    const int64_t c0 = jc + q * NR, end = std::min(c0 + NR, jc + nc);
    for (int64_t c = c0; c < end;) {
      const int64_t t = c / g.cig, j = c % g.cig;
      const int64_t count = std::min(end - c, g.cig - j);
      runs.push_back({c - c0, (t / p.KW) * p.dilationH, (t % p.KW) * p.dilationW, j, count});
      c += count;
    }
  }
  panelStart.push_back(static_cast<int64_t>(runs.size()));
  return runs;
}

// Packs im2col rows [r0, r0 + pb.K), group gr's columns, straight from x into the GEMM's
// packed-B layout (gemm.cc): no col matrix, one copy instead of im2col + packing.
void packColumnsFromImage(const Conv2dParams& p, const Geometry& g, const float* x, int64_t r0,
                          int64_t gr, const PackedB& pb, float* dst) {
  const int NR = pb.nr;
  const int64_t K = pb.K, Ncols = pb.N;
  std::vector<int64_t> panelStart;
  for (int64_t jc = 0; jc < Ncols; jc += pb.nc) {
    const int64_t nc = std::min<int64_t>(pb.nc, Ncols - jc);
    const int64_t panels = (nc + NR - 1) / NR;
    const std::vector<ColumnRun> runs = columnRuns(p, g, jc, nc, NR, panelStart);
    const int64_t lastWidth = nc - (panels - 1) * NR;
    for (int64_t pc = 0; pc < K; pc += pb.kc) {
      const int64_t kc = std::min<int64_t>(pb.kc, K - pc);
      float* block = dst + jc * K + pc * panels * NR;
      for (int64_t k = 0; k < kc; ++k) {
        const int64_t r = r0 + pc + k;
        const int64_t n = r / (g.OH * g.OW), pix = r % (g.OH * g.OW);
        const int64_t ih0 = (pix / g.OW) * p.strideH - p.padTop;
        const int64_t iw0 = (pix % g.OW) * p.strideW - p.padLeft;
        const float* image = x + n * p.H * p.W * p.Cin + gr * g.cig;
        for (int64_t q = 0; q < panels; ++q) {
          float* d = block + q * kc * NR + k * NR;
          for (int64_t u = panelStart[q]; u < panelStart[q + 1]; ++u) {
            const ColumnRun& run = runs[u];
            const int64_t ih = ih0 + run.dh, iw = iw0 + run.dw;
            if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W)
              zeroFloats(d + run.offset, run.count);
            else
              copyFloats(d + run.offset, image + (ih * p.W + iw) * p.Cin + run.channel, run.count);
          }
          if (q == panels - 1 && lastWidth < NR) zeroFloats(d + lastWidth, NR - lastWidth);
        }
      }
    }
  }
}

// dWp[g][cog][Kg] = dY_g^T x col_g summed over row chunks (per-thread partials, reduced at the
// end and unpacked to [Cout][cig][KH][KW]); dbias = column sums of dY. col is never formed:
// each chunk's columns are packed from x as the GEMM's B, and dY^T is the small A operand.
void gemmBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                         float* dbias) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const int64_t rows = backwardWeightsChunkRows(g, threads);
  const int64_t chunks = (g.M + rows - 1) / rows;
  const int team = static_cast<int>(std::min<int64_t>(threads, chunks));
  const int64_t partFloats = (g.Kg * p.Cout + 15) / 16 * 16;
  Scratch partBuf(sizeof(float) * partFloats * team);
  float* partials = partBuf.as<float>();
  const size_t packedBytes = sizeof(float) * sgemmPackedBFloats(g.Kg, rows);
  int used = 1;
#pragma omp parallel num_threads(team) if (team > 1)
  {
    Scratch packed(packedBytes);
    float* part = partials + threadIndex() * partFloats;
    std::memset(part, 0, sizeof(float) * partFloats);  // each thread its own, in parallel
#pragma omp single
    used = threadCount();
    // Static: which chunks land in which thread's partial sum must not depend on timing, or
    // dW would differ in the last bits from run to run (training must be reproducible).
#pragma omp for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t r0 = c * rows, r1 = std::min(g.M, r0 + rows);
      PackedB pb = sgemmPackedBLayout(g.Kg, r1 - r0);
      pb.data = packed.as<float>();
      for (int64_t gr = 0; gr < p.groups; ++gr) {
        packColumnsFromImage(p, g, x, r0, gr, pb, packed.as<float>());
        sgemmPackedB(1, true, g.cog, dy + r0 * p.Cout + gr * g.cog, p.Cout, pb, 1.0f,
                     part + gr * g.cog * g.Kg, g.Kg);
      }
    }
  }
  const int64_t taps = p.KH * p.KW;
#pragma omp parallel for num_threads(kernelThreads()) if (p.Cout * g.Kg >= kParallelCopyFloats)
  for (int64_t co = 0; co < p.Cout; ++co) {
    const int64_t gr = co / g.cog, c = co % g.cog;
    for (int64_t j = 0; j < g.cig; ++j)
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t k = t * g.cig + j;
        float s = 0;
        for (int q = 0; q < used; ++q) s += partials[q * partFloats + (gr * g.cog + c) * g.Kg + k];
        dw[(co * g.cig + j) * taps + t] = s;
      }
  }
  if (dbias) columnSums(dy, g.M, p.Cout, dbias);
}

// Few input channels (the stem: 3): dW^T (Kg x Cout) = col^T x dY over chunks of im2col rows,
// each gathered with whole-kernel-row copies. The packed-column path would copy Cin floats per
// tap and multiply with Cout rows in the tile height (32 of 42 rows used at Cout 32).
void im2colBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                           float* dbias) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const int64_t rows = std::max<int64_t>(64, std::min<int64_t>(512, kColBytes / (g.Ktot * 4)));
  const int64_t chunks = (g.M + rows - 1) / rows;
  const int team = static_cast<int>(std::min<int64_t>(threads, chunks));
  // On AVX-512 each chunk's col^T dY runs on the backward-weights tiles straight into the
  // partial (the GEMM packed both operands per 512-row chunk: the stem's 3x3 / 7x7 with 3
  // input channels ran at 70-90 / ~250 GFLOP/s). dY's rows must fill whole column tiles.
  WeightsGrid grid;
  const bool tiles = weightsGrid(g.Kg, p.Cout, &grid) && grid.cPad == p.Cout;
  const int64_t ldp = tiles ? grid.cPad : p.Cout;
  const int64_t partFloats = ((tiles ? grid.rPad : g.Kg) * ldp + 15) / 16 * 16;
  Scratch partBuf(sizeof(float) * partFloats * team);
  float* partials = partBuf.as<float>();
  std::memset(partials, 0, sizeof(float) * partFloats * team);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    // Slack after the last row: the last row tile reads up to rPad - Kg floats past it.
    Scratch col(sizeof(float) * (rows * g.Ktot + 32));
    if (tiles) std::memset(col.as<float>() + rows * g.Ktot, 0, 32 * sizeof(float));
    float* part = partials + threadIndex() * partFloats;
    // Static: which chunks land in which partial must not depend on timing (reproducible dW).
#pragma omp for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t r0 = c * rows, r1 = std::min(g.M, r0 + rows);
      im2col(p, g, x, r0, r1, col.as<float>());
      if (tiles)
        weightsGridChunk(grid, r1 - r0, col.as<float>(), g.Ktot, dy + r0 * p.Cout, p.Cout, part);
      else
        sgemmThreads(1, true, false, g.Kg, p.Cout, r1 - r0, 1.0f, col.as<float>(), g.Ktot,
                     dy + r0 * p.Cout, p.Cout, 1.0f, part, p.Cout);
    }
  }
  const int64_t taps = p.KH * p.KW;
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t j = 0; j < g.cig; ++j)
      for (int64_t t = 0; t < taps; ++t) {
        float s = 0;
        for (int q = 0; q < team; ++q) s += partials[q * partFloats + (t * g.cig + j) * ldp + co];
        dw[(co * g.cig + j) * taps + t] = s;
      }
  if (dbias) columnSums(dy, g.M, p.Cout, dbias);
}

// Automatic: the direct kernel up to 8 channels per group (the rotation kernel for 4 and 8,
// else the expanded rows) and the rotation kernel at 16 per group; other groups of 16 take the
// grouped GEMM, measured 2-3x faster than the expanded rows there. ResNeXt-50's 3x3 layers at
// batch 16, 2 threads, AVX-512, forward / backward-data / backward-weights in GF/s, rotation
// kernel (before it: expanded rows at 4 and 8 per group, GEMM at 16):
//   4 per group, 56x56:          250-350 / 240-350 / 300-315
//   8 per group, 28x28:          230-300 / 230-290 / 270-300   (76 / 47 / 64)
//   8 per group, stride 2, 56 in: 135-145 / -- / 185-190      (38 / 55 / 37)
//   16 per group, 14x14:         230-250 / 225-250 / 133-148   (167 / 164 / 124)
//   16 per group, stride 2, 28 in: 140-165 / -- / 113-122    (115 / 64 / 91)
// Backward-data at stride 2 has no rotation kernel (data: true): at 16 per group the GEMM
// (64 GF/s at 28x28 in) beats the expanded rows (46), at 8 the expanded rows run (55).
bool useGroupedDirect(const Conv2dParams& p, ConvAlgorithm algorithm, bool data = false) {
  if (algorithm == ConvAlgorithm::gemm || !groupedDirectApplies(p)) return false;
  if (algorithm == ConvAlgorithm::groupedDirect) return true;
  if (p.groups <= 1) return false;
  if (p.Cin / p.groups <= 8 && p.Cout / p.groups <= 8) return true;
  return data ? groupedRotateBackwardDataApplies(p) : groupedRotateApplies(p);
}

// weights: the pass that transforms the weight (forward, backward-data).
// The direct few-channel forward (automatic only), without a residual or activation in the
// epilogue (a stem has a batch norm after it).
bool useStem(const Conv2dParams& p, ConvAlgorithm algorithm, const GemmEpilogue* epi = nullptr) {
  return algorithm == ConvAlgorithm::automatic && stemApplies(p) &&
         (!epi || (!epi->residual && epi->activation == Activation::none));
}

bool useWinograd(const Conv2dParams& p, ConvAlgorithm algorithm) {
  if (!winogradApplies(p)) return false;
  if (algorithm == ConvAlgorithm::winograd) return true;
  return algorithm == ConvAlgorithm::automatic && winogradPreferred(p);
}

}  // namespace

// dbias[c] = sum over rows of dy[r][c]; threads split the rows, partials in double.
void columnSums(const float* dy, int64_t M, int64_t C, float* out) {
  const int threads = M * C >= (1 << 16) ? kernelThreads() : 1;
  std::vector<double> sums(static_cast<size_t>(C * threads), 0.0);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threadIndex(), nt = threadCount();
    double* s = sums.data() + t * C;
    std::vector<float> run(static_cast<size_t>(C), 0.0f);
    const int64_t r0 = M * t / nt, r1 = M * (t + 1) / nt;
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = dy + r * C;
      for (int64_t c = 0; c < C; ++c) run[c] += row[c];
      if ((r - r0) % 256 == 255 || r == r1 - 1) {  // flush float runs into double every 256 rows
        for (int64_t c = 0; c < C; ++c) s[c] += run[c];
        std::fill(run.begin(), run.end(), 0.0f);
      }
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    double v = 0;
    for (int t = 0; t < threads; ++t) v += sums[t * C + c];
    out[c] = static_cast<float>(v);
  }
}

void conv2dForward(const Conv2dParams& p, const float* x, const float* w,
                   const GemmEpilogue* epilogue, float* y, ConvAlgorithm algorithm,
                   BatchStats* stats) {
  bool summed = false;
  if (useGroupedDirect(p, algorithm))
    groupedForward(p, x, w, epilogue, y);
  else if (useStem(p, algorithm, epilogue)) {
    stemForward(p, x, w, epilogue ? epilogue->bias : nullptr, y, stats);
    summed = stats != nullptr;
  }
  else if (useWinograd(p, algorithm))
    winogradForward(p, x, w, epilogue, y);
  else
    summed = gemmForward(p, x, w, epilogue, y, algorithm, stats);
  if (stats && !summed) stats->addAll(y, p.N * p.outH() * p.outW());
}

void conv2dBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx,
                        ConvAlgorithm algorithm, bool accumulate) {
  if (accumulate) {
    // The 1x1 GEMM adds in place; every other path writes its own buffer, then it is added.
    if (isPointwise(p) && !useGroupedDirect(p, algorithm, true)) {
      gemmBackwardData(p, dy, w, dx, algorithm, true);
      return;
    }
    const int64_t n = p.N * p.H * p.W * p.Cin;
    Scratch buf(sizeof(float) * n);
    float* part = buf.as<float>();
    conv2dBackwardData(p, dy, w, part, algorithm, false);
    const int threads = n >= (int64_t(1) << 15) ? kernelThreads() : 1;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
    for (int64_t i = 0; i < n; ++i) dx[i] += part[i];
    return;
  }
  if (useGroupedDirect(p, algorithm, true))
    groupedBackwardData(p, dy, w, dx);
  else if (useWinograd(p, algorithm))
    winogradBackwardData(p, dy, w, dx);
  else
    gemmBackwardData(p, dy, w, dx, algorithm);
}

void conv2dBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                           float* dbias, ConvAlgorithm algorithm) {
  if (useGroupedDirect(p, algorithm))
    groupedBackwardWeights(p, x, dy, dw, dbias);
  else if (algorithm == ConvAlgorithm::automatic && weightsGemmApplies(p))
    weightsGemmBackwardWeights(p, x, dy, dw, dbias);
  else if (algorithm == ConvAlgorithm::automatic && sampledWeightsApplies(p))
    sampledBackwardWeights(p, x, dy, dw, dbias);
  else if (useWinograd(p, algorithm)) {
    // Where Winograd's weight gradient is small (winogradWeightsSmall), the implicit GEMM takes
    // it, also on maps narrower than implicitPreferred's 14 (7x7 128 -> 32: 166 vs 89 GFLOP/s
    // on im2col).
    if (algorithm == ConvAlgorithm::automatic && implicitApplies(p) && winogradWeightsSmall(p))
      implicitBackwardWeights(p, x, dy, dw, dbias);
    else
      winogradBackwardWeights(p, x, dy, dw, dbias);
  } else if (useImplicit(p, algorithm))
    implicitBackwardWeights(p, x, dy, dw, dbias);
  else if (usePointwiseWeights(p, algorithm))
    pointwiseBackwardWeights(p, x, dy, dw, dbias);
  else if (algorithm == ConvAlgorithm::automatic && stemWeightsApplies(p))
    stemBackwardWeights(p, x, dy, dw, dbias);
  else if (p.groups == 1 && p.Cin <= 4)
    im2colBackwardWeights(p, x, dy, dw, dbias);
  else
    gemmBackwardWeights(p, x, dy, dw, dbias);
}

const char* conv2dAlgorithmName(const Conv2dParams& p, ConvAlgorithm algorithm) {
  if (useGroupedDirect(p, algorithm)) return groupedRotateApplies(p) ? "grouped-rotate" : "grouped-direct";
  if (useStem(p, algorithm)) return "stem-direct";
  if (isPointwise(p)) return "gemm-1x1";
  if (useWinograd(p, algorithm)) return "winograd";
  if (useImplicit(p, algorithm)) return "implicit-gemm";
  return "im2col-gemm";
}

}  // namespace convkit
