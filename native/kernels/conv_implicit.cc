// Implicit-GEMM convolution (stride 1, groups 1; AVX-512 microkernels in
// isa/avx512/f32_conv_taps_ukernel.cc): forward, backward-weights, and 1x1 backward-weights,
// all reading their operands in place instead of through an im2col matrix. conv.cc decides
// when these run (bench/kernels/conv_paths.js measures them against im2col per pass).
#include "conv_implicit.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "../isa/conv_taps_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "conv_common.h"
#include "conv_grouped.h"

namespace convkit {

namespace {

// Offset (floats) of each tap's input pixel from the output pixel's origin in the padded
// image of width Wp: tap t = (kh, kw) reads (kh * dilationH, kw * dilationW) further on.
std::vector<int64_t> tapOffsets(const Conv2dParams& p, int64_t Wp) {
  std::vector<int64_t> offset;
  for (int64_t t = 0; t < p.KH * p.KW; ++t)
    offset.push_back(((t / p.KW) * p.dilationH * Wp + (t % p.KW) * p.dilationW) * p.Cin);
  return offset;
}

}  // namespace

// Implicit GEMM (stride 1, groups 1): no im2col matrix. The input is copied once into a
// zero-padded image; over that image, the im2col row of the output at padded column owp is,
// tap by tap, Cin contiguous floats at a fixed offset from pixel (oh, owp). So rows of
// consecutive "virtual" positions v = oh * Wp + owp (Wp = padded width) are equally spaced
// (lda = Cin) for every tap, and the microkernel (isa/conv_taps_ukernels.h) reads A in place,
// looping over the taps itself so each output tile stays in registers for the whole K.
// The virtual rows include Wp - OW columns past each output row (wasted work); the valid rows
// of each tile are scattered to y with the epilogue. AVX-512 only (elsewhere: im2col).
bool implicitApplies(const Conv2dParams& p) {
  return p.groups == 1 && p.strideH == 1 && p.strideW == 1 && !isPointwise(p) &&
         activeIsa() == Isa::avx512;
}

// Where implicit beats im2col (bench/kernels/conv_paths.js, fwd, bwd-data and bwd-weights
// alike): 16+ channels per tap and outputs 14+ wide. The Wp - OW padding columns of every
// virtual row are computed and thrown away: at 8x8 (10/8) implicit runs 0.84-0.90x im2col,
// at 4x4 (6/4) 0.55-0.8x; from 14x14 (16/14) it is 1.0-1.4x, up to 1.8x at 16 channels.
bool implicitPreferred(const Conv2dParams& p) { return p.Cin >= 16 && p.outW() >= 14; }

bool pointwiseWeightsApplies(const Conv2dParams& p) {
  return isPointwise(p) && p.groups == 1 && activeIsa() == Isa::avx512;
}

namespace {

// x zero-padded (Hp x Wp per image, images back to back) into xp, then slackPixels zero
// pixels after the last image.
void padImages(const Conv2dParams& p, const float* x, int64_t slackPixels, int threads,
               float* xp) {
  const int64_t Hp = p.H + p.padTop + p.padBottom, Wp = p.W + p.padLeft + p.padRight;
  const int64_t C = p.Cin, imagePixels = Hp * Wp;
#pragma omp parallel for num_threads(threads) if (threads > 1 && p.N > 1) schedule(static)
  for (int64_t n = 0; n < p.N; ++n) {
    float* img = xp + n * imagePixels * C;
    for (int64_t h = 0; h < Hp; ++h) {
      float* row = img + h * Wp * C;
      const int64_t ih = h - p.padTop;
      if (ih < 0 || ih >= p.H) {
        zeroFloats(row, Wp * C);
        continue;
      }
      zeroFloats(row, p.padLeft * C);
      std::memcpy(row + p.padLeft * C, x + ((n * p.H + ih) * p.W) * C, sizeof(float) * p.W * C);
      zeroFloats(row + (p.padLeft + p.W) * C, p.padRight * C);
    }
  }
  zeroFloats(xp + p.N * imagePixels * C, slackPixels * C);
}

}  // namespace

void implicitForward(const Conv2dParams& p, const float* x, const float* w,
                     const GemmEpilogue* epilogue, float* y) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const GemmEpilogue* epi = epilogue;
  if (epi && !epi->bias && !epi->residual && epi->activation == Activation::none) epi = nullptr;
  const bool narrow = p.Cout <= 16;
  const int MR = narrow ? 28 : 14, NR = narrow ? 16 : 32;
  const isa::ConvTapsUkernelFn kernel =
      narrow ? isa::f32_conv_taps_ukernel_28x16__avx512 : isa::f32_conv_taps_ukernel_14x32__avx512;
  const int64_t Hp = p.H + p.padTop + p.padBottom, Wp = p.W + p.padLeft + p.padRight;
  const int64_t C = p.Cin, taps = p.KH * p.KW;
  // Padded images back to back, plus slack: an image's last tile reads up to MR - 1 rows and
  // (KW - 1) * dilation pixels past its end.
  const int64_t imagePixels = Hp * Wp;
  const int64_t slack = p.dilationW * (p.KW - 1) + MR;
  Scratch padBuf(sizeof(float) * (p.N * imagePixels + slack) * C);
  float* xp = padBuf.as<float>();
  padImages(p, x, slack, threads, xp);

  // Weight panels: panel q holds K = taps * Cin rows of NR output channels, zero padded.
  const int64_t K = taps * C;
  const int64_t panels = (p.Cout + NR - 1) / NR;
  Scratch bBuf(sizeof(float) * panels * K * NR);
  float* bp = bBuf.as<float>();
  // Reads w in order (co, ci, t); panels in parallel (256 channels: 2.4 MB of weights).
#pragma omp parallel for num_threads(threads) if (threads > 1 && panels > 1) schedule(static)
  for (int64_t q = 0; q < panels; ++q) {
    float* panel = bp + q * K * NR;
    for (int j = 0; j < NR; ++j) {
      const int64_t co = q * NR + j;
      if (co >= p.Cout) {
        for (int64_t k = 0; k < K; ++k) panel[k * NR + j] = 0.0f;
        continue;
      }
      const float* wc = w + co * C * taps;
      for (int64_t ci = 0; ci < C; ++ci)
        for (int64_t t = 0; t < taps; ++t) panel[(t * C + ci) * NR + j] = wc[ci * taps + t];
    }
  }
  const std::vector<int64_t> offset = tapOffsets(p, Wp);

  const int64_t V = g.OH * Wp;
  // Tiles of MR virtual rows. When MR divides the output width, tiles follow the output rows
  // and never cover the Wp - OW padding columns (14x14 maps: 16/14 of the work otherwise);
  // else they run over the flattened virtual rows.
  const bool rowAligned = g.OW % MR == 0;
  const int64_t tilesPerRow = g.OW / MR;
  const int64_t tilesPerImage = rowAligned ? g.OH * tilesPerRow : (V + MR - 1) / MR;
  const int64_t tiles = p.N * tilesPerImage;
  auto tileStart = [&](int64_t index) {
    const int64_t within = index % tilesPerImage;
    return rowAligned ? (within / tilesPerRow) * Wp + (within % tilesPerRow) * MR : within * MR;
  };
  const int team = static_cast<int>(std::min<int64_t>(threads, tiles));
  if (convVerbose())
    std::fprintf(stderr, "convkit: conv2d forward implicit-gemm %dx%d taps=%lld Cin=%lld Cout=%lld tiles=%lld x %d threads\n",
                 MR, NR, static_cast<long long>(taps), static_cast<long long>(C),
                 static_cast<long long>(p.Cout), static_cast<long long>(tiles), team);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    alignas(64) float tile[28 * 32];
    const int tid = threadIndex(), nt = threadCount();
    const int64_t t0 = tiles * tid / nt, t1 = tiles * (tid + 1) / nt;
    // Panel-outer: a thread's rows of the padded input stay in its L2 across panels, and each
    // weight panel (K x NR) stays in L2 while the thread sweeps its tiles.
    for (int64_t q = 0; q < panels; ++q) {
      const int64_t j0 = q * NR, width = std::min<int64_t>(NR, p.Cout - j0);
      for (int64_t tIdx = t0; tIdx < t1; ++tIdx) {
        const int64_t n = tIdx / tilesPerImage, v0 = tileStart(tIdx);
        const float* a = xp + (n * imagePixels + v0) * C;
        // All MR rows valid and in one output row, full panel, no epilogue: store in place.
        const int64_t ow0 = v0 % Wp;
        if (!epi && width == NR && v0 + MR <= V && ow0 + MR <= g.OW) {
          const int64_t r0 = (n * g.OH + v0 / Wp) * g.OW + ow0;
          kernel(static_cast<size_t>(taps), offset.data(), static_cast<size_t>(C), a,
                 static_cast<size_t>(C), bp + q * K * NR, y + r0 * p.Cout + j0,
                 static_cast<size_t>(p.Cout));
          continue;
        }
        kernel(static_cast<size_t>(taps), offset.data(), static_cast<size_t>(C), a,
               static_cast<size_t>(C), bp + q * K * NR, tile, NR);
        for (int i = 0; i < MR; ++i) {
          const int64_t v = v0 + i;
          if (v >= V) break;
          const int64_t oh = v / Wp, ow = v % Wp;
          if (ow >= g.OW) continue;
          const int64_t r = (n * g.OH + oh) * g.OW + ow;
          const float* src = tile + i * NR;
          float* dst = y + r * p.Cout + j0;
          if (!epi) {
            copyFloats(dst, src, width);
            continue;
          }
          const float* bias = epi->bias ? epi->bias + j0 : nullptr;
          const float* res = epi->residual ? epi->residual + r * epi->ldResidual + j0 : nullptr;
          for (int64_t j = 0; j < width; ++j) {
            float val = src[j];
            if (bias) val += bias[j];
            if (res) val += res[j];
            if (epi->activation != Activation::none) {
              val = val > 0.0f ? val : 0.0f;
              if (epi->activation == Activation::relu6) val = val < 6.0f ? val : 6.0f;
            }
            dst[j] = val;
          }
        }
      }
    }
  }
}

namespace {

// The backward-weights tile: 16x16 where the 14-row tile would pad Cout by over 15% (16, 32)
// or Cin fills only half of a 32-wide tile; else 14x32 (fewer loads per FMA).
struct WeightsTile {
  int mr, nr;
  isa::ConvWeightsUkernelFn kernel;
  isa::ConvWeightsUkernelFn prefetching;  // also fetches the next kc rows
};
// For a rows x cols result (rows: the broadcast operand's channels, cols: the vector one's).
WeightsTile weightsTile(int64_t rows, int64_t cols) {
  const bool padsRows = 100 * ((rows + 13) / 14 * 14) > 115 * rows && rows % 16 == 0;
  if (cols <= 16 || padsRows)
    return {16, 16, isa::f32_conv_weights_ukernel_16x16__avx512,
            isa::f32_conv_weights_prefetch_ukernel_16x16__avx512};
  return {14, 32, isa::f32_conv_weights_ukernel_14x32__avx512,
          isa::f32_conv_weights_prefetch_ukernel_14x32__avx512};
}
WeightsTile weightsTile(const Conv2dParams& p) { return weightsTile(p.Cout, p.Cin); }

// Rows x cols of work the tile computes for a rows x cols result (padding included).
int64_t paddedWork(int64_t rows, int64_t cols) {
  const WeightsTile t = weightsTile(rows, cols);
  return (rows + t.mr - 1) / t.mr * t.mr * ((cols + t.nr - 1) / t.nr * t.nr);
}

// Sums the per-thread partials [taps][coutPad][cinPad] into dw [Cout][Cin][KH][KW].
void reduceWeightPartials(const Conv2dParams& p, const float* partials, int64_t partFloats,
                          int count, int64_t coutPad, int64_t cinPad, int threads, float* dw) {
  const int64_t C = p.Cin, taps = p.KH * p.KW;
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t t = 0; t < taps; ++t) {
        float s = 0;
        for (int q = 0; q < count; ++q)
          s += partials[q * partFloats + (t * coutPad + co) * cinPad + ci];
        dw[(co * C + ci) * taps + t] = s;
      }
}

}  // namespace

bool weightsGrid(int64_t rows, int64_t cols, WeightsGrid* grid) {
  if (activeIsa() != Isa::avx512) return false;
  const WeightsTile t = weightsTile(rows, cols);
  grid->mr = t.mr;
  grid->nr = t.nr;
  grid->rPad = (rows + t.mr - 1) / t.mr * t.mr;
  grid->cPad = (cols + t.nr - 1) / t.nr * t.nr;
  return true;
}

void weightsGridChunk(const WeightsGrid& grid, int64_t kc, const float* a, int64_t lda,
                      const float* b, int64_t ldb, float* part) {
  const isa::ConvWeightsUkernelFn kernel = grid.mr == 16
                                                ? isa::f32_conv_weights_ukernel_16x16__avx512
                                                : isa::f32_conv_weights_ukernel_14x32__avx512;
  for (int64_t j = 0; j < grid.cPad; j += grid.nr)
    for (int64_t i = 0; i < grid.rPad; i += grid.mr)
      kernel(static_cast<size_t>(kc), static_cast<size_t>(kc), 0, a + i,
                  static_cast<size_t>(lda), b + j, static_cast<size_t>(ldb),
                  part + i * grid.cPad + j, static_cast<size_t>(grid.cPad));
}

void weightsGridChunkFetching(const WeightsGrid& grid, int64_t kc, const float* a, int64_t lda,
                              const float* b, int64_t ldb, float* part, FetchStream* s0,
                              FetchStream* s1) {
  const auto kernel = grid.mr == 16 ? isa::f32_conv_weights_stream_ukernel_16x16__avx512
                                    : isa::f32_conv_weights_stream_ukernel_14x32__avx512;
  for (int64_t j = 0; j < grid.cPad; j += grid.nr)
    for (int64_t i = 0; i < grid.rPad; i += grid.mr) {
      const int64_t n0 = std::max<int64_t>(0, std::min(kc, s0->lines));
      const int64_t n1 = std::max<int64_t>(0, std::min(kc, s1->lines));
      kernel(static_cast<size_t>(kc), a + i, static_cast<size_t>(lda), b + j,
             static_cast<size_t>(ldb), part + i * grid.cPad + j, static_cast<size_t>(grid.cPad),
             s0->start, static_cast<size_t>(n0), s1->start, static_cast<size_t>(n1));
      s0->lines -= n0;
      s1->lines -= n1;
      s0->start = static_cast<const char*>(s0->start) + 64 * n0;
      s1->start = static_cast<const char*>(s1->start) + 64 * n1;
    }
}

// 1x1 stride-1 backward-weights: dW[co][ci] = sum over rows of dy[r][co] * x[r][ci], the
// backward-weights microkernel reading dy and x in place (no packing). It computes either dW
// (rows: Cout from dy, columns: Cin from x) or its transpose (rows: Cin, columns: Cout),
// whichever pads less (Cout 64, Cin 256 on 14x32 tiles: dW pads 64 to 70 rows, dW^T 256 to
// 266). Tiles past the channels read into the next row (their results land in the partials'
// padding), so the last chunk, which would read past the end of the arrays, is copied into a
// buffer with room after it.
void pointwiseBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                              float* dbias) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const bool transposed = paddedWork(p.Cin, p.Cout) < paddedWork(p.Cout, p.Cin);
  const float* rowsSrc = transposed ? x : dy;  // broadcast operand
  const float* colsSrc = transposed ? dy : x;  // vector operand
  const int64_t R = transposed ? p.Cin : p.Cout, Cc = transposed ? p.Cout : p.Cin;
  const WeightsTile tile = weightsTile(R, Cc);
  const int64_t rTiles = (R + tile.mr - 1) / tile.mr, cTiles = (Cc + tile.nr - 1) / tile.nr;
  const int64_t rPad = rTiles * tile.mr, cPad = cTiles * tile.nr;
  constexpr int64_t kChunkRows = 128;
  const int64_t chunks = (g.M + kChunkRows - 1) / kChunkRows;
  // A large dW (1x1 2048 -> 1024 at 7x7: 8 MB) is split by columns between the threads: one
  // shared dW, no partials to write, re-read and add (with few rows, those passes cost more
  // than the FMAs). A small one by rows, with a partial per thread.
  const bool splitColumns =
      threads > 1 && rPad * cPad >= (int64_t(1) << 19) && cTiles >= 2 * threads;
  const int team = splitColumns ? threads : static_cast<int>(std::min<int64_t>(threads, chunks));
  const int parts = splitColumns ? 1 : team;
  const int64_t partFloats = rPad * cPad;
  Scratch partBuf(sizeof(float) * partFloats * parts);
  float* partials = partBuf.as<float>();
  std::memset(partials, 0, sizeof(float) * partFloats * parts);
  // The last chunk, copied with slack after each operand.
  const int64_t lastRows = g.M - (chunks - 1) * kChunkRows;
  Scratch tailBuf(sizeof(float) * (lastRows * (R + Cc) + tile.mr + tile.nr));
  float* tailA = tailBuf.as<float>();
  float* tailB = tailA + lastRows * R + tile.mr;
  std::memcpy(tailA, rowsSrc + (g.M - lastRows) * R, sizeof(float) * lastRows * R);
  zeroFloats(tailA + lastRows * R, tile.mr);
  std::memcpy(tailB, colsSrc + (g.M - lastRows) * Cc, sizeof(float) * lastRows * Cc);
  zeroFloats(tailB + lastRows * Cc, tile.nr);
  // Column tiles' B slices are copied together when Cc >= 512 (see below): 6-28% faster at
  // ResNet-50 / ResNeXt-50's 512 -> 1024 / 2048 and 1024 / 2048 -> 512 (three alternating
  // runs); at 64-256 columns it measured 0-10% slower (the chunk's rows sit within the caches).
  const bool packSlices = Cc >= 512;
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const int tid = threadIndex(), nt = threadCount();
    float* part = partials + (splitColumns ? 0 : tid * partFloats);
    const int64_t c0 = splitColumns ? 0 : chunks * tid / nt;
    const int64_t c1 = splitColumns ? chunks : chunks * (tid + 1) / nt;
    const int64_t j0 = splitColumns ? cTiles * tid / nt : 0;
    const int64_t j1 = splitColumns ? cTiles * (tid + 1) / nt : cTiles;
    // The column tile's B slice (kc rows of nr floats), copied together: in place its rows are
    // Cc floats apart, mostly a power of two, so they fall in a few L1 sets and do not stay
    // there across the row tiles.
    alignas(64) float slice[2 * kChunkRows * 32];
    for (int64_t c = c0; c < c1; ++c) {
      const bool last = c == chunks - 1;
      const int64_t r0 = c * kChunkRows, kc = last ? lastRows : kChunkRows;
      const float* a = last ? tailA : rowsSrc + r0 * R;
      const float* b = last ? tailB : colsSrc + r0 * Cc;
      for (int64_t j = j0; j < j1; ++j) {  // B slice stays in L1 across the row tiles
        const float* bj = b + j * tile.nr;
        size_t ldb = static_cast<size_t>(Cc);
        if (packSlices) {
          for (int64_t k = 0; k < kc; ++k)
            std::memcpy(slice + k * tile.nr, bj + k * Cc, sizeof(float) * tile.nr);
          if (j + 1 < j1)  // the next slice's rows, while this one computes
            for (int64_t k = 0; k < kc; ++k) __builtin_prefetch(bj + tile.nr + k * Cc, 0, 2);
          bj = slice;
          ldb = static_cast<size_t>(tile.nr);
        }
        for (int64_t i = 0; i < rTiles; ++i)
          tile.prefetching(static_cast<size_t>(kc), static_cast<size_t>(kc), 0, a + i * tile.mr,
                           static_cast<size_t>(R), bj, ldb,
                           part + i * tile.mr * cPad + j * tile.nr, static_cast<size_t>(cPad));
      }
    }
  }
#pragma omp parallel for num_threads(threads) if (threads > 1) schedule(static)
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t ci = 0; ci < p.Cin; ++ci) {
      const int64_t at = transposed ? ci * cPad + co : co * cPad + ci;
      float s = 0;
      for (int q = 0; q < parts; ++q) s += partials[q * partFloats + at];
      dw[co * p.Cin + ci] = s;
    }
  if (dbias) columnSums(dy, g.M, p.Cout, dbias);
}

bool stemWeightsApplies(const Conv2dParams& p) {
  return activeIsa() == Isa::avx512 && p.groups == 1 && p.dilationH == 1 && p.dilationW == 1 &&
         p.KW * p.Cin <= 14 && p.Cout % 32 == 0 && p.strideW * p.Cin <= 14;
}

// A stem's backward-weights (few input channels: EfficientNet's and MobileNet's 3x3/2, 3 -> 32)
// without im2col. In the padded input, one kernel row of taps of an output pixel is KW * Cin
// consecutive floats (9 for 3x3 over RGB), and the next pixel's starts strideW * Cin floats on:
// the backward-weights tile reads them in place as its broadcast rows (14 of them, the rows past
// KW * Cin landing in the partial's padding), dy's Cout channels as its vector columns, one
// output row by kernel row at a time: dW_kh[j][co] += sum over the row's pixels of
// xp[ih][s*ow*Cin + j] * dy[ow][co], j = kw*Cin + ci. (The im2col path copied 27 floats per
// pixel in 3-float pieces and spent half its time doing it.) Rows of output split between the
// threads statically, a partial per thread, summed at the end.
void stemBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                         float* dbias) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  constexpr int MR = 14, NR = 32;
  const int64_t Hp = p.H + p.padTop + p.padBottom, Wp = p.W + p.padLeft + p.padRight;
  const int64_t C = p.Cin;
  // Slack: the last row's tile reads MR floats from its last pixel's taps on.
  Scratch padBuf(sizeof(float) * ((p.N * Hp * Wp + 1) * C + MR));
  float* xp = padBuf.as<float>();
  padImages(p, x, 1, threads, xp);
  zeroFloats(xp + (p.N * Hp * Wp + 1) * C, MR);
  const int64_t partFloats = p.KH * MR * p.Cout;
  const int64_t rows = p.N * g.OH;
  const int team = static_cast<int>(std::min<int64_t>(threads, rows));
  Scratch partBuf(sizeof(float) * partFloats * team);
  float* partials = partBuf.as<float>();
  zeroFloats(partials, partFloats * team);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const int tid = threadIndex(), nt = threadCount();
    float* part = partials + tid * partFloats;
    for (int64_t r = rows * tid / nt; r < rows * (tid + 1) / nt; ++r) {
      const int64_t n = r / g.OH, oh = r % g.OH;
      const float* dyRow = dy + r * g.OW * p.Cout;
      for (int64_t kh = 0; kh < p.KH; ++kh) {
        const float* xRow = xp + ((n * Hp + oh * p.strideH + kh) * Wp) * C;
        for (int64_t j = 0; j < p.Cout; j += NR)
          isa::f32_conv_weights_ukernel_14x32__avx512(
              static_cast<size_t>(g.OW), static_cast<size_t>(g.OW), 0, xRow,
              static_cast<size_t>(p.strideW * C), dyRow + j, static_cast<size_t>(p.Cout),
              part + kh * MR * p.Cout + j, static_cast<size_t>(p.Cout));
      }
    }
  }
  for (int64_t co = 0; co < p.Cout; ++co)
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t kh = 0; kh < p.KH; ++kh)
        for (int64_t kw = 0; kw < p.KW; ++kw) {
          float s = 0;
          for (int q = 0; q < team; ++q)
            s += partials[q * partFloats + (kh * MR + kw * C + ci) * p.Cout + co];
          dw[((co * C + ci) * p.KH + kh) * p.KW + kw] = s;
        }
  if (dbias) columnSums(dy, g.M, p.Cout, dbias);
}

// Backward-weights by implicit GEMM (stride 1, groups 1, AVX-512), the transpose of the
// forward's trick: dW_t[co][ci] = sum over output pixels of dy[pixel][co] * xp[v + offset_t][ci],
// where v = oh * Wp + ow is the pixel's position in the padded input xp. Both operands are read
// in place, row by row (isa/conv_taps_ukernels.h): dy as it is, xp skipping its Wp - OW
// padding columns after each output row (where summing zeros over "virtual rows" cost 2/16 of
// the work at 14x14). No im2col columns are packed, where the im2col path copies every input
// value KH*KW times. Chunks of whole output rows (about kChunkRows pixels) are split between
// the threads statically (each thread's partial dW sums its chunks in a fixed order, so
// results do not depend on timing); partials are summed at the end.
void implicitBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                             float* dbias) {
  const Geometry g = geometry(p);
  const int threads = kernelThreads();
  const WeightsTile tile = weightsTile(p);
  const int MR = tile.mr, NR = tile.nr;
  const int64_t Hp = p.H + p.padTop + p.padBottom, Wp = p.W + p.padLeft + p.padRight;
  const int64_t C = p.Cin, taps = p.KH * p.KW, imagePixels = Hp * Wp;
  // Slack: the last rows read (KW - 1) * dilation pixels past the image, plus NR floats of a
  // last column tile.
  const int64_t slack = p.dilationW * (p.KW - 1) + 1 + NR;
  Scratch padBuf(sizeof(float) * (p.N * imagePixels + slack) * C);
  float* xp = padBuf.as<float>();
  padImages(p, x, slack, threads, xp);
  const std::vector<int64_t> offset = tapOffsets(p, Wp);

  // Partial dW per thread, [taps][CoutPad][CinPad]: edge tiles write into the padding.
  const int64_t coTiles = (p.Cout + MR - 1) / MR, ciTiles = (C + NR - 1) / NR;
  const int64_t coutPad = coTiles * MR, cinPad = ciTiles * NR;
  const int64_t partFloats = taps * coutPad * cinPad;
  constexpr int64_t kChunkRows = 128;
  const int64_t rowsPerChunk = std::max<int64_t>(1, kChunkRows / g.OW);
  const int64_t perImage = (g.OH + rowsPerChunk - 1) / rowsPerChunk;
  const int64_t chunks = p.N * perImage;
  // The last output-channel tile reads MR floats per pixel, past Cout: inside dy except at
  // its very end, so the last chunk reads a copy with MR floats of slack.
  const int64_t lastRows = g.OH - (perImage - 1) * rowsPerChunk;
  const int64_t lastFloats = lastRows * g.OW * p.Cout;
  Scratch tailBuf(sizeof(float) * (lastFloats + MR));
  float* dyTail = tailBuf.as<float>();
  copyFloats(dyTail, dy + g.M * p.Cout - lastFloats, lastFloats);
  zeroFloats(dyTail + lastFloats, MR);
  const int team = static_cast<int>(std::min<int64_t>(threads, chunks));
  Scratch partBuf(sizeof(float) * partFloats * team);
  float* partials = partBuf.as<float>();
  std::memset(partials, 0, sizeof(float) * partFloats * team);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    const int tid = threadIndex(), nt = threadCount();
    float* part = partials + tid * partFloats;
    for (int64_t c = chunks * tid / nt; c < chunks * (tid + 1) / nt; ++c) {
      const int64_t n = c / perImage, oh0 = (c % perImage) * rowsPerChunk;
      const int64_t kc = (std::min(g.OH, oh0 + rowsPerChunk) - oh0) * g.OW;
      const float* a = c == chunks - 1 ? dyTail : dy + (n * g.OH + oh0) * g.OW * p.Cout;
      const float* b = xp + (n * imagePixels + oh0 * Wp) * C;
      // Column tile outer: its B slice (kc x NR, 32 KiB) stays in L1 across the row tiles.
      // The first tap's calls also fetch the next chunk's rows (the other taps reread these).
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t j = 0; j < ciTiles; ++j)
          for (int64_t i = 0; i < coTiles; ++i)
            (t == 0 ? tile.prefetching : tile.kernel)(
                static_cast<size_t>(kc), static_cast<size_t>(g.OW),
                static_cast<size_t>((Wp - g.OW) * C), a + i * MR, static_cast<size_t>(p.Cout),
                b + offset[t] + j * NR, static_cast<size_t>(C),
                part + (t * coutPad + i * MR) * cinPad + j * NR, static_cast<size_t>(cinPad));
    }
  }
  // team may exceed the threads that ran (a smaller OpenMP team): unused partials are zero.
  reduceWeightPartials(p, partials, partFloats, team, coutPad, cinPad, threads, dw);
  if (dbias) columnSums(dy, g.M, p.Cout, dbias);
}

}  // namespace convkit
