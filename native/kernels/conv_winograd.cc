// Winograd F(4x4, 3x3) convolution: the output is cut into 4x4 blocks ("tiles"); each tile's
// 6x6 input patch and the 3x3 kernel are transformed (native/isa/winograd_ukernels.h) so that
// the convolution becomes, for each of the 36 transformed positions xi, one GEMM over channels:
//   M[xi] (tiles x Cout) = V[xi] (tiles x Cin) x U[xi] (Cin x Cout)
// and the output transform turns each tile's 36 rows of M back into 16 output pixels.
// 36 * Cin * Cout multiplies per tile instead of 144 * Cin * Cout.
//
// Forward: U is transformed once per call straight into the GEMM's packed-B layout; then each
// thread takes blocks of tiles and runs input transform -> 36 GEMMs -> output transform on
// buffers that stay in its L2 -- or, from 4 MB of U, all tiles are transformed first and the
// threads share the 36 GEMMs by plane, so U is read once (forwardAllTiles). Backward-data
// (stride 1) is the forward on dy with the kernel flipped and transposed and the padding
// mirrored, as in conv.cc.
// Backward-weights: dW = G^T [sum over tiles (B^T d B) . (A e A^T)] G, i.e. 36 GEMMs
// dU[xi] (Cin x Cout) = X[xi]^T (Cin x tiles) x E[xi] (tiles x Cout) summed over blocks of
// tiles (see winogradBackwardWeights for how threads share them).
#include "conv_winograd.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../isa/winograd_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"
#include "conv_common.h"
#include "conv_grouped.h"

namespace convkit {

namespace {

constexpr int64_t kXi = 36;  // transformed positions per tile (6 x 6)
constexpr int64_t kTaps = 9;
// Forward: V and M of one block of tiles together in about this much of a 1 MiB L2.
constexpr int64_t kBlockBytes = 768 * 1024;
// Backward-weights with per-thread partials: X and E of one block of tiles. The sums over
// tiles are the GEMMs' K: 2 MB (50-110 tiles) ran 1.12-1.4x faster than 768 KB (Xeon, batch
// 16, alternating calls: 56x56 64 -> 64 1.12x, 28x28 128 -> 128 1.2x, 56x56 128 -> 32 1.26x,
// 14x14 96 -> 208 1.4x); 4-8 MB slower again.
constexpr int64_t kWeightsBlockBytes = 2 << 20;
// Backward-weights: per-thread partial sums of dU up to this size; above it, transformed x and
// dy of one chunk of tiles shared by the threads (bounds the extra memory).
constexpr int64_t kPartialBytes = 4 << 20;
constexpr int64_t kChunkBytes = 48 << 20;
// Forward from this much transformed weight: all tiles at once (forwardAllTiles), V and M of
// at most kAllTilesBytes per chunk of tiles.
constexpr int64_t kAllTilesU = 4 << 20;
constexpr int64_t kAllTilesBytes = 32 << 20;
// Input channels transformed together into the packed U (TransformedWeight).
constexpr int64_t kTransformChannels = 8;

isa::WinogradUkernels ukernels() {
  switch (activeIsa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx512:
      return isa::winogradUkernels__avx512();
    case Isa::avx2:
      return isa::winogradUkernels__avx2();
#endif
    default:
      return isa::winogradUkernels__generic();
  }
}

// The 4x4 output tiles of a call, numbered image by image, row by row.
struct Tiling {
  int64_t OH, OW, across, perImage, count;
  Tiling(const Conv2dParams& p) : OH(p.outH()), OW(p.outW()) {
    across = (OW + 3) / 4;
    perImage = (OH + 3) / 4 * across;
    count = p.N * perImage;
  }
  // Image, first output row and first output column of tile t.
  void locate(int64_t t, int64_t& n, int64_t& oh, int64_t& ow) const {
    n = t / perImage;
    oh = (t % perImage) / across * 4;
    ow = (t % perImage) % across * 4;
  }
};

// The 36 input pixels of the 6x6 patch under the tile at (n, oh, ow): pointers into x, or
// `zero` (a row of Cin zeros) for the padding.
void patchPointers(const Conv2dParams& p, const float* x, const float* zero, int64_t n,
                   int64_t oh, int64_t ow, const float** px) {
  for (int64_t a = 0; a < 6; ++a) {
    const int64_t ih = oh - p.padTop + a;
    for (int64_t b = 0; b < 6; ++b) {
      const int64_t iw = ow - p.padLeft + b;
      px[6 * a + b] = ih >= 0 && ih < p.H && iw >= 0 && iw < p.W
                          ? x + ((n * p.H + ih) * p.W + iw) * p.Cin
                          : zero;
    }
  }
}

// The 16 output pixels of the tile at (n, oh, ow) in a [N, OH, OW, C] tensor t; `outside`
// (nullptr or a zero row) where the tile hangs over the edge.
template <typename T>
void tilePointers(const Tiling& tiling, T* t, int64_t C, T* outside, int64_t n, int64_t oh,
                  int64_t ow, T** out) {
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 4; ++b)
      out[4 * a + b] = oh + a < tiling.OH && ow + b < tiling.OW
                           ? t + ((n * tiling.OH + oh + a) * tiling.OW + ow + b) * C
                           : outside;
}

// U[xi] = G g G^T for every (ci, co), written straight into 36 packed-B blocks (K = Cin rows,
// N = Cout columns) of the GEMM. With flipTranspose the kernel is that of backward-data:
// g[ci][co] = w[ci][co] flipped in space, w being [Cin][Cout][3][3] (the forward's weight of
// the transposed convolution).
class TransformedWeight {
 public:
  TransformedWeight(const isa::WinogradUkernels& uk, int64_t Cin, int64_t Cout, const float* w,
                    bool flipTranspose)
      : layout_(sgemmPackedBLayout(Cout, Cin)),
        blockFloats_(sgemmPackedBFloats(Cout, Cin)),
        buf_(sizeof(float) * kXi * blockFloats_) {
    const int64_t NR = layout_.nr, padded = (Cout + NR - 1) / NR * NR;
    const int64_t kc = layout_.kc, nc = layout_.nc;
    float* base = buf_.as<float>();
    // Blocks of kTransformChannels input channels inside one K block of the packed layout:
    // their rows of a panel are kTransformChannels x NR contiguous floats, written at once.
    // (Row by row, with a memcpy of one NR-float row per panel and plane, this took 45% of a
    // 7x7 512 -> 512 forward.)
    const int64_t perK = (kc + kTransformChannels - 1) / kTransformChannels;
    const int64_t blocks = (Cin + kc - 1) / kc * perK;
#pragma omp parallel num_threads(kernelThreads()) if (Cin * Cout >= 4096)
    {
      // Each channel's 9 taps as rows of `padded` output channels (zero beyond Cout, so the
      // packed panels' padding columns come out zero), transformed into 36 rows.
      std::vector<float> g(static_cast<size_t>(kTransformChannels * kTaps * padded), 0.0f);
      std::vector<float> u(static_cast<size_t>(kTransformChannels * kXi * padded));
#pragma omp for schedule(static)
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t pc = b / perK * kc, c0 = pc + b % perK * kTransformChannels;
        const int64_t kcHere = std::min<int64_t>(kc, Cin - pc);
        const int64_t rows = std::min<int64_t>(kTransformChannels, pc + kcHere - c0);
        if (rows <= 0) continue;
        if (flipTranspose) {
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t co = 0; co < Cout; ++co)
              for (int64_t k = 0; k < kTaps; ++k)
                g[(r * kTaps + k) * padded + co] =
                    w[((c0 + r) * Cout + co) * kTaps + kTaps - 1 - k];
        } else {  // w's rows * 9 floats per output channel, transposed 16 channels at a time
          const int64_t taps = rows * kTaps, stride = Cin * kTaps;
          for (int64_t co0 = 0; co0 < Cout; co0 += 16) {
            const int64_t n = std::min<int64_t>(16, Cout - co0);
            const float* src = w + (co0 * Cin + c0) * kTaps;
            for (int64_t j = 0; j < taps; ++j) {
              float* dst = g.data() + j * padded + co0;
              for (int64_t c = 0; c < n; ++c) dst[c] = src[c * stride + j];
            }
          }
        }
        for (int64_t r = 0; r < rows; ++r)
          uk.weight(padded, g.data() + r * kTaps * padded, padded, u.data() + r * kXi * padded,
                    padded);
        // Row k of plane xi's K x N matrix sits in column block jc (at jc * K), K block pc
        // (at pc * panels * NR), panel q (at q * kcHere * NR), row k - pc (at (k - pc) * NR).
        for (int64_t xi = 0; xi < kXi; ++xi)
          for (int64_t jc = 0; jc < Cout; jc += nc) {
            const int64_t panels = (std::min<int64_t>(nc, Cout - jc) + NR - 1) / NR;
            float* block = base + xi * blockFloats_ + jc * Cin + pc * panels * NR + (c0 - pc) * NR;
            for (int64_t q = 0; q < panels; ++q)
              for (int64_t r = 0; r < rows; ++r)
                copyFloats(block + q * kcHere * NR + r * NR,
                           u.data() + (r * kXi + xi) * padded + jc + q * NR, NR);
          }
      }
    }
    for (int64_t xi = 0; xi < kXi; ++xi) {
      PackedB pb = layout_;
      pb.data = base + xi * blockFloats_;
      blocks_.push_back(pb);
    }
  }
  const PackedB& operator[](int64_t xi) const { return blocks_[xi]; }

 private:
  PackedB layout_;
  int64_t blockFloats_;
  Scratch buf_;
  std::vector<PackedB> blocks_;
};

// Tiles per forward block: V and M in kBlockBytes, at least 16 rows for the GEMM, and no more
// than an even share of the tiles so both threads get work.
// Rounded down to whole GEMM row tiles (mr), so no tile computes padding rows.
int64_t blockTiles(const Conv2dParams& p, int64_t tiles, int threads, int mr) {
  int64_t b = kBlockBytes / (kXi * int64_t(sizeof(float)) * (p.Cin + p.Cout));
  b = std::max<int64_t>(16, std::min<int64_t>(b, 128));
  b = std::min(b, (tiles + threads - 1) / threads);
  return std::max<int64_t>(1, b >= mr ? b / mr * mr : b);
}

// Tile t's 6x6 patch of x, transformed: 36 rows of Cin floats at v, ldv apart.
void inputTile(const isa::WinogradUkernels& uk, const Conv2dParams& p, const Tiling& tiling,
               const float* x, const float* zero, int64_t t, float* v, int64_t ldv) {
  const float* px[36];
  int64_t n, oh, ow;
  tiling.locate(t, n, oh, ow);
  patchPointers(p, x, zero, n, oh, ow, px);
  uk.input(p.Cin, px, v, ldv);
}

// Tile t's 36 rows of M (ldm apart) back into its 16 output pixels of y, with the epilogue.
void outputTile(const isa::WinogradUkernels& uk, const Conv2dParams& p, const Tiling& tiling,
                const float* m, int64_t ldm, const GemmEpilogue* epi, int64_t t, float* y) {
  float* out[16];
  const float* res[16];
  int64_t n, oh, ow;
  tiling.locate(t, n, oh, ow);
  tilePointers<float>(tiling, y, p.Cout, nullptr, n, oh, ow, out);
  const float* residual = epi ? epi->residual : nullptr;
  if (residual) tilePointers<const float>(tiling, residual, p.Cout, nullptr, n, oh, ow, res);
  uk.output(p.Cout, m, ldm, epi ? epi->bias : nullptr, residual ? res : nullptr,
            epi ? static_cast<int>(epi->activation) : 0, out);
}

// Large U, all tiles at once: every tile transformed into V (36 planes of tiles x Cin), then
// the 36 GEMMs shared out between the threads by plane -- each reads its planes of U once,
// where the block scheme below streams all of U from L3 once per block of a dozen tiles --
// then every tile's output transform. V and M go through L3 instead of staying in L2; above
// kAllTilesBytes of them, the tiles go in equal chunks (U read once per chunk).
// Measured (Xeon, batch 16, alternating calls): 14x14 256 -> 256 forward 1.15-1.24x, backward-
// data 1.23x; 128 tiles per chunk instead of 256 was 5% slower. With U in L2 (28x28 128 ->
// 128, U 2.4 MB) the blocks stay ahead (0.92x), as does the implicit GEMM at 7x7 512 -> 512.
void forwardAllTiles(const Conv2dParams& p, const isa::WinogradUkernels& uk, const Tiling& tiling,
                     const TransformedWeight& U, const float* x, const GemmEpilogue* epi,
                     float* y) {
  const int64_t tileBytes = kXi * (p.Cin + p.Cout) * int64_t(sizeof(float));
  const int64_t chunks = (tiling.count * tileBytes + kAllTilesBytes - 1) / kAllTilesBytes;
  const int64_t T = (tiling.count + chunks - 1) / chunks;  // tiles per chunk
  Scratch zeroBuf(sizeof(float) * p.Cin), vBuf(sizeof(float) * kXi * T * p.Cin),
      mBuf(sizeof(float) * kXi * T * p.Cout);
  float* zero = zeroBuf.as<float>();
  std::memset(zero, 0, sizeof(float) * p.Cin);
  float* V = vBuf.as<float>();
  float* Mt = mBuf.as<float>();
  if (convVerbose())
    std::fprintf(stderr, "convkit: conv2d winograd F(4x4,3x3) tiles=%lld all at once\n",
                 static_cast<long long>(T));
#pragma omp parallel num_threads(kernelThreads())
  {
    for (int64_t t0 = 0; t0 < tiling.count; t0 += T) {
      const int64_t nt = std::min(T, tiling.count - t0);
#pragma omp for schedule(static)
      for (int64_t i = 0; i < nt; ++i)
        inputTile(uk, p, tiling, x, zero, t0 + i, V + i * p.Cin, T * p.Cin);
#pragma omp for schedule(static)
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemmPackedB(1, false, nt, V + xi * T * p.Cin, p.Cin, U[xi], 0.0f, Mt + xi * T * p.Cout,
                     p.Cout);
#pragma omp for schedule(static)
      for (int64_t i = 0; i < nt; ++i)
        outputTile(uk, p, tiling, Mt + i * p.Cout, T * p.Cout, epi, t0 + i, y);
    }
  }
}

void forwardWith(const Conv2dParams& p, const float* x, const float* w, bool flipTranspose,
                 const GemmEpilogue* epi, float* y) {
  const isa::WinogradUkernels uk = ukernels();
  const Tiling tiling(p);
  const int threads = kernelThreads();
  const TransformedWeight U(uk, p.Cin, p.Cout, w, flipTranspose);
  if (kXi * p.Cin * p.Cout * int64_t(sizeof(float)) >= kAllTilesU) {
    forwardAllTiles(p, uk, tiling, U, x, epi, y);
    return;
  }
  const int64_t B = blockTiles(p, tiling.count, threads, U[0].mr);
  const int64_t blocks = (tiling.count + B - 1) / B;
  const int team = static_cast<int>(std::min<int64_t>(threads, blocks));
  Scratch zeroBuf(sizeof(float) * p.Cin);
  float* zero = zeroBuf.as<float>();
  std::memset(zero, 0, sizeof(float) * p.Cin);
  if (convVerbose())
    std::fprintf(stderr, "convkit: conv2d winograd F(4x4,3x3) tiles=%lld block=%lld x %d threads\n",
                 static_cast<long long>(tiling.count), static_cast<long long>(B), team);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    Scratch vBuf(sizeof(float) * kXi * B * p.Cin), mBuf(sizeof(float) * kXi * B * p.Cout);
    float* V = vBuf.as<float>();
    float* Mt = mBuf.as<float>();
#pragma omp for schedule(dynamic, 1)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t t0 = blk * B, nt = std::min(B, tiling.count - t0);
      for (int64_t i = 0; i < nt; ++i)
        inputTile(uk, p, tiling, x, zero, t0 + i, V + i * p.Cin, B * p.Cin);
      for (int64_t xi = 0; xi < kXi; ++xi)
        sgemmPackedB(1, false, nt, V + xi * B * p.Cin, p.Cin, U[xi], 0.0f, Mt + xi * B * p.Cout,
                     p.Cout);
      for (int64_t i = 0; i < nt; ++i)
        outputTile(uk, p, tiling, Mt + i * p.Cout, B * p.Cout, epi, t0 + i, y);
    }
  }
}

// dW[co][ci][k] = (G^T dU G)[k] for each (ci, co), dU[xi][ci][co]: one input channel's Cout
// columns at a time.
void weightGradient(const isa::WinogradUkernels& uk, const Conv2dParams& p, const float* dU,
                    float* dw) {
  const int threads = kernelThreads();
#pragma omp parallel num_threads(threads) if (threads > 1 && p.Cin * p.Cout >= 4096)
  {
    std::vector<float> k9(static_cast<size_t>(kTaps * p.Cout));
#pragma omp for schedule(static)
    for (int64_t ci = 0; ci < p.Cin; ++ci) {
      uk.weightGrad(p.Cout, dU + ci * p.Cout, p.Cin * p.Cout, k9.data(), p.Cout);
      for (int64_t co = 0; co < p.Cout; ++co)
        for (int64_t k = 0; k < kTaps; ++k) dw[(co * p.Cin + ci) * kTaps + k] = k9[k * p.Cout + co];
    }
  }
}

// Transformed x and dy of tiles [t0 + i0, t0 + i1) into X[xi][i][Cin] and E[xi][i][Cout]
// (row i of plane xi for tile t0 + i; planes `rows` rows apart).
void transformTiles(const isa::WinogradUkernels& uk, const Conv2dParams& p, const Tiling& tiling,
                    const float* x, const float* dy, const float* zero, int64_t t0, int64_t i0,
                    int64_t i1, int64_t rows, float* X, float* E) {
  const float* px[36];
  const float* py[16];
  for (int64_t i = i0; i < i1; ++i) {
    int64_t n, oh, ow;
    tiling.locate(t0 + i, n, oh, ow);
    patchPointers(p, x, zero, n, oh, ow, px);
    uk.input(p.Cin, px, X + i * p.Cin, rows * p.Cin);
    tilePointers<const float>(tiling, dy, p.Cout, zero, n, oh, ow, py);
    uk.gradOutput(p.Cout, py, E + i * p.Cout, rows * p.Cout);
  }
}

// dU[xi] (+)= X[xi]^T E[xi] over `nt` tile rows, on one thread.
void accumulateProducts(const Conv2dParams& p, const float* X, const float* E, int64_t rows,
                        int64_t nt, bool first, float* dU, int64_t xi) {
  sgemmThreads(1, true, false, p.Cin, p.Cout, nt, 1.0f, X + xi * rows * p.Cin, p.Cin,
               E + xi * rows * p.Cout, p.Cout, first ? 0.0f : 1.0f, dU + xi * p.Cin * p.Cout,
               p.Cout);
}

}  // namespace

bool winogradApplies(const Conv2dParams& p) {
  const auto padOk = [](int64_t pad) { return pad >= 0 && pad <= 2; };
  return p.KH == 3 && p.KW == 3 && p.strideH == 1 && p.strideW == 1 && p.dilationH == 1 &&
         p.dilationW == 1 && p.groups == 1 && padOk(p.padTop) && padOk(p.padBottom) &&
         padOk(p.padLeft) && padOk(p.padRight);
}

// CONVKIT_WINOGRAD=0 keeps the automatic choice off Winograd (results then match the GEMM
// paths' rounding, ~10x closer to an exact convolution; see the tests' tolerances).
static bool winogradEnabled() {
  static const bool on = [] {
    const char* v = std::getenv("CONVKIT_WINOGRAD");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

// Measured (bench/kernels/conv.js shapes and the zoo's): 1.3-3x the implicit GEMM from 32
// channels each side; 0.9x at 16; slower when there are few tiles (a batch-1 7x7 has 4), where
// transforming the weight costs more than the GEMMs it saves. Above 64 MB of transformed
// kernel (36 Cin Cout floats: 1024 -> 1024 channels is 151 MB) the scratch is not worth it.
// The forward and backward-data also transform the weight: with U formed in blocks of rows
// and all tiles at once above 4 MB of it, they beat the implicit GEMM from 32 tiles at 512 ->
// 512 too (Xeon, U 38 MB; forward / backward-data: 7x7 batch 16 1.28x / 1.62x, batch 8
// 1.16x / 1.31x, 4x4 batch 32 1.36x / 1.58x; before that the block scheme lost, 0.95x).
bool winogradPreferred(const Conv2dParams& p) {
  constexpr int64_t kMaxU = 64 << 20;
  return winogradEnabled() && p.Cin >= 32 && p.Cout >= 32 && Tiling(p).count >= 32 &&
         kXi * p.Cin * p.Cout * int64_t(sizeof(float)) <= kMaxU;
}

// DenseNet's 3x3 128 -> 32 at batch 16: 256 tiles (14x14) and 64 (7x7) gave the weight
// gradient's GEMMs (Cin x Cout, K = tiles) 1.2-1.7x and 1.7-1.9x less speed than the
// implicit GEMM, alone and inside the network (AVX-512); from 64 output channels, or at 784
// tiles, Winograd is as fast or faster (14x14 96 -> 208, 28x28 128 -> 32, 7x7 512 -> 512).
bool winogradWeightsSmall(const Conv2dParams& p) { return p.Cout < 64 && Tiling(p).count < 512; }

void winogradForward(const Conv2dParams& p, const float* x, const float* w,
                     const GemmEpilogue* epilogue, float* y) {
  forwardWith(p, x, w, false, epilogue, y);
}

void winogradBackwardData(const Conv2dParams& p, const float* dy, const float* w, float* dx) {
  Conv2dParams q = p;
  q.H = p.outH();
  q.W = p.outW();
  q.Cin = p.Cout;
  q.Cout = p.Cin;
  q.padTop = 2 - p.padTop;
  q.padBottom = 2 - p.padBottom;
  q.padLeft = 2 - p.padLeft;
  q.padRight = 2 - p.padRight;
  forwardWith(q, dy, w, true, nullptr, dx);
}

// Two schemes. Small dU (36 Cin Cout floats within kPartialBytes): each thread sums its own
// blocks of tiles into its own dU, transforms and GEMMs on L2-sized buffers, partials added at
// the end. Larger: chunks of tiles transformed by all threads, then the 36 GEMMs split
// between threads by xi (one dU, no partials to add).
void winogradBackwardWeights(const Conv2dParams& p, const float* x, const float* dy, float* dw,
                             float* dbias) {
  const isa::WinogradUkernels uk = ukernels();
  const Tiling tiling(p);
  const int threads = kernelThreads();
  const int64_t duFloats = kXi * p.Cin * p.Cout;
  const int64_t perTile = kXi * int64_t(sizeof(float)) * (p.Cin + p.Cout);
  Scratch zeroBuf(sizeof(float) * std::max(p.Cin, p.Cout));
  float* zero = zeroBuf.as<float>();
  std::memset(zero, 0, sizeof(float) * std::max(p.Cin, p.Cout));
  if (duFloats * int64_t(sizeof(float)) <= kPartialBytes) {
    // Tiles per block: about kWeightsBlockBytes of X and E, evened out so each thread gets
    // the same number of tiles.
    int64_t B = std::max<int64_t>(16, kWeightsBlockBytes / perTile);
    const int64_t perThread = (tiling.count + threads - 1) / threads;
    const int64_t perThreadBlocks = (perThread + B - 1) / B;
    B = (perThread + perThreadBlocks - 1) / perThreadBlocks;
    const int64_t blocks = (tiling.count + B - 1) / B;
    const int team = static_cast<int>(std::min<int64_t>(threads, blocks));
    const int64_t stride = (duFloats + 15) / 16 * 16;
    Scratch partBuf(sizeof(float) * stride * team);
    float* parts = partBuf.as<float>();
#pragma omp parallel num_threads(team) if (team > 1)
    {
      Scratch xBuf(sizeof(float) * kXi * B * p.Cin), eBuf(sizeof(float) * kXi * B * p.Cout);
      float* part = parts + threadIndex() * stride;
      bool first = true;
      // Static: which tiles land in which partial must not depend on timing (reproducible dW).
#pragma omp for schedule(static)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t t0 = blk * B, nt = std::min(B, tiling.count - t0);
        transformTiles(uk, p, tiling, x, dy, zero, t0, 0, nt, B, xBuf.as<float>(),
                       eBuf.as<float>());
        for (int64_t xi = 0; xi < kXi; ++xi)
          accumulateProducts(p, xBuf.as<float>(), eBuf.as<float>(), B, nt, first, part, xi);
        first = false;
      }
      if (first) std::memset(part, 0, sizeof(float) * duFloats);
    }
    for (int q = 1; q < team; ++q)
      for (int64_t i = 0; i < duFloats; ++i) parts[i] += parts[q * stride + i];
    weightGradient(uk, p, parts, dw);
  } else {
    const int64_t chunk = std::min(tiling.count, std::max<int64_t>(64, kChunkBytes / perTile));
    Scratch xBuf(sizeof(float) * kXi * chunk * p.Cin), eBuf(sizeof(float) * kXi * chunk * p.Cout);
    Scratch duBuf(sizeof(float) * duFloats);
    for (int64_t t0 = 0; t0 < tiling.count; t0 += chunk) {
      const int64_t nt = std::min(chunk, tiling.count - t0);
#pragma omp parallel num_threads(threads) if (threads > 1)
      {
        transformTiles(uk, p, tiling, x, dy, zero, t0, nt * threadIndex() / threadCount(),
                       nt * (threadIndex() + 1) / threadCount(), chunk, xBuf.as<float>(),
                       eBuf.as<float>());
#pragma omp barrier
        // Static: each xi's sum runs on one thread in a fixed order (reproducible dW).
#pragma omp for schedule(static)
        for (int64_t xi = 0; xi < kXi; ++xi)
          accumulateProducts(p, xBuf.as<float>(), eBuf.as<float>(), chunk, nt, t0 == 0,
                             duBuf.as<float>(), xi);
      }
    }
    weightGradient(uk, p, duBuf.as<float>(), dw);
  }
  if (dbias) columnSums(dy, p.N * tiling.OH * tiling.OW, p.Cout, dbias);
}

}  // namespace convkit
