// Packed, cache-blocked single-precision GEMM (shape logic, blocking, threading).
// The per-ISA microkernels and B packers live in native/isa/<isa>/f32_gemm_ukernel.cc.
//
// Loop nest (per thread), BLIS-like but with A read in place:
//   for jc in N step NC                       B block  KC x NC  -> L2 (shared by the threads)
//     for pc in K step KC                     pack B block (threads share the work), barrier
//       for ir in this thread's rows step MR  A micro-panel MR x KC stays in L1
//         for jr in NC step NR                B micro-panel KC x NR streams from L2
//           microkernel(MR x NR tile); beta on the first K block, epilogue on the last
//       barrier
// A is not packed when op(A) = A (the im2col case): the microkernel broadcasts straight from
// the MR source rows (row stride lda). This saves a transposing copy of A, which for
// tall-skinny conv GEMMs (N = 64) would cost as much as a quarter of the FMA time. op(A) = A^T
// and the partial last row panel are packed into a k-major MR x KC panel (one per thread).
// alpha is folded into B while packing.
#include "gemm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "../isa/gemm_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

// Tile sizes, blocking, packing and microkernels of one ISA path, kept together.
struct GemmPath {
  Isa isa;
  const char* name;
  int mr, nr;
  int kc;  // K block: the A micro-panel (MR x KC) lives in L1 next to a streaming B panel
  int nc;  // N block: the packed B block (KC x NC) lives in L2
  isa::GemmUkernelFn direct;   // reads A rows in place (op(A) = A, full MR rows)
  isa::GemmUkernelFn packedA;  // reads a packed k-major A panel
  isa::GemmPackBFn packB;
  bool maskedColumns;  // the kernels write an edge tile's first columns in place (params.columns)
};

// Blocking (Zen 5: L1d 48 KiB, L2 1 MiB per core; also sane for 32 KiB L1 / 256 KiB+ L2):
//  avx512 14x32: KC = 256 -> A micro-panel 14*256*4 = 14 KiB in L1, each B micro-panel
//    32*256*4 = 32 KiB read once per row panel from L2; NC = 512 -> B block 256*512*4 =
//    512 KiB, half of L2, leaving room for C tiles and the A stream.
//  avx512 28x16 (N <= 16 only): A micro-panel 28 KiB in L1, B micro-panel 16 KiB.
//  avx2 6x16: KC = 256 -> A 6 KiB + B micro-panel 16 KiB; NC = 512 as above.
//  generic 4x8: KC = 256, NC = 256 (smaller caches on older or ARM cores).
const GemmPath kPaths[] = {
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::avx512, "f32_gemm_ukernel_14x32__avx512", 14, 32, 256, 512,
     isa::f32_gemm_ukernel_14x32__avx512, isa::f32_gemm_ukernel_14x32_packeda__avx512,
     isa::f32_gemm_packb_32__avx512, true},
    {Isa::avx512, "f32_gemm_ukernel_28x16__avx512", 28, 16, 256, 512,
     isa::f32_gemm_ukernel_28x16__avx512, isa::f32_gemm_ukernel_28x16_packeda__avx512,
     isa::f32_gemm_packb_16__avx512, true},
    {Isa::avx512, "f32_gemm_ukernel_8x32__avx512", 8, 32, 256, 512,
     isa::f32_gemm_ukernel_8x32__avx512, isa::f32_gemm_ukernel_8x32_packeda__avx512,
     isa::f32_gemm_packb_32__avx512, true},
    {Isa::avx2, "f32_gemm_ukernel_6x16__avx2", 6, 16, 256, 512, isa::f32_gemm_ukernel_6x16__avx2,
     isa::f32_gemm_ukernel_6x16_packeda__avx2, isa::f32_gemm_packb_16__avx2, false},
#endif
    {Isa::generic, "f32_gemm_ukernel_4x8__generic", 4, 8, 256, 256,
     isa::f32_gemm_ukernel_4x8__generic, isa::f32_gemm_ukernel_4x8_packeda__generic,
     isa::f32_gemm_packb_8__generic, false},
};

// Packed B up to this size stays whole in L2 (half of a 1 MiB L2; see worker()).
#ifdef CONVKIT_GEMM_TUNING
int64_t kResidentBytes = 512 * 1024;
#else
constexpr int64_t kResidentBytes = 512 * 1024;
#endif

constexpr int kMaxMR = 28;
constexpr int kMaxNR = 32;

#ifdef CONVKIT_GEMM_TUNING
}  // namespace
int gemmTuneKc = 0, gemmTuneNc = 0, gemmTuneResident = -1;  // harness-only overrides
namespace {
#endif

// The path for an M x N GEMM: the active ISA's first entry; for N <= a narrower tile's width,
// that tile (a 32-wide tile would compute zeros for half of N = 16); for a small M that is a
// multiple of a shorter tile's height where the first one would waste rows, that tile, with
// the same width (M = 16 = 14 + 2 would compute 28 rows). The packed B layout
// depends on N only (the tile width), so sgemmPackB and sgemmPackedB agree.
const GemmPath& selectPath(int64_t N = INT64_MAX, int64_t M = 0) {
  const Isa active = activeIsa();
  const GemmPath* chosen = nullptr;
  for (const GemmPath& path : kPaths) {
    if (static_cast<int>(path.isa) > static_cast<int>(active)) continue;
    if (chosen && path.isa != chosen->isa) break;
    if (!chosen) {
      chosen = &path;
    } else if (N <= path.nr && path.nr < chosen->nr) {
      chosen = &path;
    } else if (path.nr == chosen->nr && M > 0 && M % path.mr == 0 &&
               // rows the first tile would compute, over M: above 1.15 the shorter tile wins
               // (measured: the 8-row tile is ~15% slower per FMA than the 14-row one)
               100 * ((M + chosen->mr - 1) / chosen->mr * chosen->mr) > 115 * M) {
      chosen = &path;
    }
  }
  return chosen ? *chosen : kPaths[sizeof(kPaths) / sizeof(kPaths[0]) - 1];
}

bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("CONVKIT_VERBOSE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

inline float applyEpilogue(float v, const GemmEpilogue* epi, int64_t i, int64_t j) {
  if (epi->bias) v += epi->bias[j];
  if (epi->residual) v += epi->residual[i * epi->ldResidual + j];
  if (epi->activation != Activation::none) {
    v = v > 0.0f ? v : 0.0f;
    if (epi->activation == Activation::relu6) v = v < 6.0f ? v : 6.0f;
  }
  return v;
}

// C = beta * C (+ epilogue), for K == 0 or alpha == 0 (A and B are not read).
void scaleOnly(int64_t M, int64_t N, float beta, float* C, int64_t ldc, const GemmEpilogue* epi) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      float v = beta == 0.0f ? 0.0f : beta * c[j];
      c[j] = epi ? applyEpilogue(v, epi, i, j) : v;
    }
  }
}

// Packs rows [i0, i0 + mr) x k [pc, pc + kc) of op(A) as kc groups of MR floats (zero padded).
void packA(bool transA, const float* A, int64_t lda, int64_t i0, int mr, int64_t pc, int kc,
           int MR, float* dst) {
  if (transA) {
    if (mr == MR && MR == 14) {  // the avx512 tile: a constant-size copy the compiler inlines
      for (int k = 0; k < kc; ++k) std::memcpy(dst + k * 14, A + (pc + k) * lda + i0, 14 * sizeof(float));
      return;
    }
    for (int k = 0; k < kc; ++k) {
      const float* s = A + (pc + k) * lda + i0;
      float* d = dst + k * MR;
      int i = 0;
      for (; i < mr; ++i) d[i] = s[i];
      for (; i < MR; ++i) d[i] = 0.0f;
    }
  } else {
    for (int i = 0; i < MR; ++i) {
      if (i < mr) {
        const float* s = A + (i0 + i) * lda + pc;
        for (int k = 0; k < kc; ++k) dst[k * MR + i] = s[k];
      } else {
        for (int k = 0; k < kc; ++k) dst[k * MR + i] = 0.0f;
      }
    }
  }
}

// Copies the computed part of a local MR x NR tile into C, with beta and (last K block) the
// epilogue. Used only for edge tiles.
void mergeTile(const float* tile, int nrStride, int mr, int nr, float* C, int64_t ldc, float beta,
               const GemmEpilogue* epi, int64_t i0, int64_t j0) {
  for (int i = 0; i < mr; ++i) {
    float* c = C + (i0 + i) * ldc + j0;
    const float* t = tile + i * nrStride;
    for (int j = 0; j < nr; ++j) {
      float v = t[j];
      if (beta != 0.0f) v += beta * c[j];
      c[j] = epi ? applyEpilogue(v, epi, i0 + i, j0 + j) : v;
    }
  }
}

struct Problem {
  bool transA, transB;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
  const GemmEpilogue* epi;  // nullptr when there is nothing to apply
  bool directA;             // microkernel reads op(A) = A in place (else A panels are packed)
  bool stream = false;      // full tiles of C written with non-temporal stores (streamC)
  bool copyRows = false;    // direct A rows copied to a short stride first (copyRowsFor)
};

// Direct A rows a multiple of 4 KiB apart all fall in one L1 set (64 sets of 64 B lines), and
// the MR = 14 rows the microkernel walks together outnumber the set's 12 ways (Zen 5; 8 on
// older cores): each k step missed L1. Copying the panel's rows to a stride of kc + 16 floats
// (a plain row copy, no transposition, ~1/500 of the panel's FMAs) measured 5-10% faster at
// lda = 1024 and 2048 (1x1 convolutions from or to 1024 / 2048 channels).
constexpr int kCopyRowsPad = 16;
bool copyRowsFor(bool directA, int64_t lda) { return directA && lda % 1024 == 0; }

// Orders a thread's non-temporal stores before whatever reads C next (another thread).
inline void storeFence() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_ia32_sfence();
#endif
}

// Non-temporal C stores pay where the GEMM is bound by writing C: a short K (a 1x1 conv with
// 16-64 input channels, MobileNet's expansions) and a C far larger than the caches, which
// normal stores would first read in (the read-for-ownership) and then push out to memory.
bool streamC(int64_t M, int64_t N, int64_t K, float beta, const float* C, int64_t ldc) {
  return beta == 0.0f && K <= 64 && M * N * int64_t(sizeof(float)) >= (int64_t(16) << 20) &&
         ldc % 16 == 0 && reinterpret_cast<uintptr_t>(C) % 64 == 0;
}

inline void barrier(bool shared) {
#ifdef _OPENMP
  if (shared) {
#pragma omp barrier
  }
#else
  (void)shared;
#endif
}

// Pulls part of the next A row panel (direct mode) toward L1 while the current one computes:
// slice q of `slices` covers rows [q*MR/slices, (q+1)*MR/slices), kc floats each.
inline void prefetchRows(const float* a, int64_t lda, int MR, int kc, int64_t q, int64_t slices) {
  const int r0 = static_cast<int>(q * MR / slices), r1 = static_cast<int>((q + 1) * MR / slices);
  for (int r = r0; r < r1; ++r) {
    const char* row = reinterpret_cast<const char*>(a + r * lda);
    for (int off = 0; off < kc * 4; off += 64) __builtin_prefetch(row + off, 0, 3);
    __builtin_prefetch(row + kc * 4 - 1, 0, 3);
  }
}

// Computes row panel rp against the packed B block (kc x nc at Bp) for K block pc.
inline void rowPanel(const GemmPath& P, const Problem& p, int64_t rp, int64_t rpEnd, int64_t pc,
                     int kc, int64_t jc, int nc, const float* Bp, float* Ap, float* tile) {
  const int MR = P.mr, NR = P.nr;
  const int64_t panels = (nc + NR - 1) / NR;
  const bool first = pc == 0, last = pc + kc == p.K;
  const float beta = first ? p.beta : 1.0f;
  const GemmEpilogue* epi = last ? p.epi : nullptr;
  isa::GemmUkernelParams full{};
  full.beta = beta;
  full.stream = p.stream && last ? 1 : 0;
  full.activation = epi ? static_cast<int>(epi->activation) : 0;
  full.ldResidual = epi ? epi->ldResidual : 0;
  isa::GemmUkernelParams edge{};
  const int64_t i0 = rp * MR;
  const int mr = static_cast<int>(std::min<int64_t>(MR, p.M - i0));
  const float* a;
  size_t lda;
  isa::GemmUkernelFn kern;
  const float* nextRows = nullptr;  // the next row panel's rows, prefetched while this one runs
  if (p.directA && mr == MR) {
    a = p.A + i0 * p.lda + pc;
    lda = static_cast<size_t>(p.lda);
    kern = P.direct;
    if (rp + 1 < rpEnd) nextRows = a + MR * p.lda;
    if (p.copyRows) {
      const size_t ld = static_cast<size_t>(kc + kCopyRowsPad);
      for (int r = 0; r < MR; ++r) std::memcpy(Ap + r * ld, a + r * p.lda, sizeof(float) * kc);
      a = Ap;
      lda = ld;
    }
  } else {
    packA(p.transA, p.A, p.lda, i0, mr, pc, kc, MR, Ap);
    a = Ap;
    lda = 0;
    kern = P.packedA;
  }
  for (int64_t q = 0; q < panels; ++q) {
    if (nextRows) prefetchRows(nextRows, p.lda, MR, kc, q, panels);
    const int64_t j0 = jc + q * NR;
    const int nr = static_cast<int>(std::min<int64_t>(NR, jc + nc - j0));
    const float* b = Bp + q * kc * NR;
    // An edge column tile (nr < NR) with full rows: in place where the kernels mask columns
    // (no scalar merge of the tile: N = 24, 40, 80 ... of EfficientNet / MobileNet's 1x1s).
    if (mr == MR && (nr == NR || P.maskedColumns)) {
      full.columns = nr == NR ? 0 : nr;
      full.stream = p.stream && last && nr == NR ? 1 : 0;
      full.bias = epi && epi->bias ? epi->bias + j0 : nullptr;
      full.residual = epi && epi->residual ? epi->residual + i0 * epi->ldResidual + j0 : nullptr;
      kern(kc, a, lda, b, p.C + i0 * p.ldc + j0, static_cast<size_t>(p.ldc), &full);
    } else {
      kern(kc, a, lda, b, tile, NR, &edge);
      mergeTile(tile, NR, mr, nr, p.C, p.ldc, beta, epi, i0, j0);
    }
  }
}

// One thread's share: row panels [rp0, rp1), columns [n0, n1). When `sharedB`, all threads
// run the same jc/pc loop over the same columns and pack the B block together.
// When `resident`, Bp holds all K blocks of the jc block (K x nc fits the L2 budget): B is
// packed once and each A row panel is then read start to end (all K blocks) in one go, so A
// streams from memory exactly once, row by row (the tall im2col case, N = 64).
void worker(const GemmPath& P, const Problem& p, int kcMax, int ncMax, bool resident,
            int64_t rp0, int64_t rp1, int64_t n0, int64_t n1, float* Bp, float* Ap,
            bool sharedB, int tid, int nthreads) {
  const int NR = P.nr;
  alignas(64) float tile[kMaxMR * kMaxNR];
  for (int64_t jc = n0; jc < n1; jc += ncMax) {
    const int nc = static_cast<int>(std::min<int64_t>(ncMax, n1 - jc));
    const int64_t panels = (nc + NR - 1) / NR;
    const int64_t q0 = sharedB ? panels * tid / nthreads : 0;
    const int64_t q1 = sharedB ? panels * (tid + 1) / nthreads : panels;
    if (resident) {
      for (int64_t pc = 0; pc < p.K; pc += kcMax) {
        const int kc = static_cast<int>(std::min<int64_t>(kcMax, p.K - pc));
        const float* bsrc = p.transB ? p.B + jc * p.ldb + pc : p.B + pc * p.ldb + jc;
        P.packB(p.transB, kc, nc, bsrc, p.ldb, p.alpha, Bp + pc * panels * NR, q0, q1);
      }
      barrier(sharedB);
      for (int64_t rp = rp0; rp < rp1; ++rp)
        for (int64_t pc = 0; pc < p.K; pc += kcMax) {
          const int kc = static_cast<int>(std::min<int64_t>(kcMax, p.K - pc));
          rowPanel(P, p, rp, rp1, pc, kc, jc, nc, Bp + pc * panels * NR, Ap, tile);
        }
      barrier(sharedB);
      continue;
    }
    for (int64_t pc = 0; pc < p.K; pc += kcMax) {
      const int kc = static_cast<int>(std::min<int64_t>(kcMax, p.K - pc));
      const float* bsrc = p.transB ? p.B + jc * p.ldb + pc : p.B + pc * p.ldb + jc;
      P.packB(p.transB, kc, nc, bsrc, p.ldb, p.alpha, Bp, q0, q1);
      barrier(sharedB);
      for (int64_t rp = rp0; rp < rp1; ++rp) rowPanel(P, p, rp, rp1, pc, kc, jc, nc, Bp, Ap, tile);
      barrier(sharedB);
    }
  }
}

void run(int threads, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
         const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
         int64_t ldc, const GemmEpilogue* epilogue) {
  if (M <= 0 || N <= 0) return;
  const GemmEpilogue* epi = epilogue;
  if (epi && !epi->bias && !epi->residual && epi->activation == Activation::none) epi = nullptr;
  if (K <= 0 || alpha == 0.0f) {
    scaleOnly(M, N, beta, C, ldc, epi);
    return;
  }
  const GemmPath& P = selectPath(N, M);
  const int MR = P.mr, NR = P.nr;
  int kcMax = P.kc, ncMax = P.nc;
#ifdef CONVKIT_GEMM_TUNING
  if (gemmTuneKc > 0) kcMax = gemmTuneKc;
  if (gemmTuneNc > 0) ncMax = gemmTuneNc;
  if (gemmTuneResident >= 0) kResidentBytes = gemmTuneResident;
#endif
  // Balance the K blocks (e.g. K = 576 -> 192 x 3 rather than 256 + 256 + 64).
  {
    const int64_t kBlocks = (K + kcMax - 1) / kcMax;
    kcMax = static_cast<int>((K + kBlocks - 1) / kBlocks);
  }
  kcMax = static_cast<int>(std::min<int64_t>(kcMax, K));

  const int64_t mPanels = (M + MR - 1) / MR;
  const int64_t nPanels = (N + NR - 1) / NR;
#ifdef _OPENMP
  if (omp_in_parallel()) threads = 1;
#else
  threads = 1;
#endif
  // Below ~1 MFLOP the fork/join costs more than a second thread saves.
  if (M * N * K < 128 * 128 * 32) threads = 1;
  const bool splitM = mPanels >= nPanels || mPanels >= 8 * threads;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, splitM ? mPanels : nPanels)));

  // Per-thread column range (split N) or all columns (split M); NC rounded to NR panels.
  const int64_t colsPerThread = splitM ? N : ((nPanels + threads - 1) / threads) * NR;
  ncMax = static_cast<int>(std::min<int64_t>(((ncMax + NR - 1) / NR) * NR,
                                             ((colsPerThread + NR - 1) / NR) * NR));
  // Keep all of K x nc packed when it fits the L2 budget (see worker()).
  const int64_t ncRounded = std::min<int64_t>(ncMax, ((N + NR - 1) / NR) * NR);
  const bool resident = K * ncRounded * static_cast<int64_t>(sizeof(float)) <= kResidentBytes;
  const size_t bFloats = static_cast<size_t>(resident ? K : kcMax) * ncMax;
  const size_t aFloats = static_cast<size_t>(kcMax + kCopyRowsPad) * MR;
  auto round16 = [](size_t n) { return (n + 15) / 16 * 16; };  // 64-byte multiples
  const int bBuffers = splitM ? 1 : threads;
  const size_t bytes = (bBuffers * round16(bFloats) + threads * round16(aFloats)) * sizeof(float);
  Scratch scratch(bytes);
  float* base = scratch.as<float>();

  if (verbose())
    std::fprintf(stderr, "convkit: sgemm %s M=%lld N=%lld K=%lld tA=%d tB=%d threads=%d split=%c kc=%d nc=%d%s\n",
                 P.name, static_cast<long long>(M), static_cast<long long>(N),
                 static_cast<long long>(K), transA, transB, threads, splitM ? 'M' : 'N', kcMax, ncMax,
                 resident ? " B-resident" : "");

  // op(A) = A is read in place. (Packing A when lda is a multiple of 2 KiB, to dodge L1 set
  // conflicts between the MR rows, was measured slower at 1024^3 and 2048^3 with the scalar
  // packA below: 74% vs 83% of peak on one thread.)
  const bool directA = !transA;
  Problem prob{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epi, directA};
  prob.stream = streamC(M, N, K, beta, C, ldc);
  prob.copyRows = copyRowsFor(directA, lda);
  auto body = [&](int tid, int nt) {
    float* Ap = base + bBuffers * round16(bFloats) + tid * round16(aFloats);
    if (splitM) {
      worker(P, prob, kcMax, ncMax, resident, mPanels * tid / nt, mPanels * (tid + 1) / nt, 0, N, base, Ap,
             nt > 1, tid, nt);
    } else {
      const int64_t q0 = nPanels * tid / nt, q1 = nPanels * (tid + 1) / nt;
      worker(P, prob, kcMax, ncMax, resident, 0, mPanels, q0 * NR, std::min<int64_t>(N, q1 * NR),
             base + tid * round16(bFloats), Ap, false, tid, nt);
    }
    if (prob.stream) storeFence();
  };
  if (threads == 1) {
    body(0, 1);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    // The team may be smaller than asked (OMP_DYNAMIC, thread limits): use the real size.
    body(omp_get_thread_num(), omp_get_num_threads());
  }
#endif
}

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc, const GemmEpilogue* epilogue) {
  run(kernelThreads(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, epilogue);
}

void sgemmThreads(int threads, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                  float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float beta, float* C, int64_t ldc, const GemmEpilogue* epilogue) {
  run(std::max(1, threads), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
      epilogue);
}

const char* sgemmKernelName() { return selectPath().name; }

// Packed layout: N blocks of nc columns (block jc starts at jc * K floats); inside a block,
// K blocks of kc rows (block pc at pc * panels * NR); inside those, NR-column panels
// (panel q at q * kc * NR) -- exactly what worker()'s resident mode reads.
namespace {
int balancedKc(int kcMax, int64_t K) {
  const int64_t kBlocks = (K + kcMax - 1) / kcMax;
  return static_cast<int>(std::min<int64_t>((K + kBlocks - 1) / kBlocks, K));
}
}  // namespace

int64_t sgemmPackedBFloats(int64_t N, int64_t K) {
  const int64_t NR = selectPath(N).nr;
  return std::max<int64_t>(1, K * ((N + NR - 1) / NR * NR));
}

PackedB sgemmPackedBLayout(int64_t N, int64_t K) {
  const GemmPath& P = selectPath(N);
  PackedB pb;
  pb.N = N;
  pb.K = K;
  pb.nr = P.nr;
  pb.mr = P.mr;
  pb.kc = K > 0 ? balancedKc(P.kc, K) : 1;
  pb.nc = static_cast<int>(std::min<int64_t>(P.nc, (N + P.nr - 1) / P.nr * P.nr));
  return pb;
}

PackedB sgemmPackB(bool transB, int64_t N, int64_t K, float alpha, const float* B, int64_t ldb,
                   float* dst) {
  const GemmPath& P = selectPath(N);
  PackedB pb = sgemmPackedBLayout(N, K);
  pb.data = dst;
  // Threads take slices of every block's panels: a large weight (8 MB at 1024 -> 2048
  // channels) took ~1 ms to pack on one thread, next to a 7 ms GEMM at 7x7.
  int threads = N * K >= (int64_t(1) << 18) ? kernelThreads() : 1;
#ifdef _OPENMP
  if (omp_in_parallel()) threads = 1;
#pragma omp parallel num_threads(threads) if (threads > 1)
#endif
  {
    const int t = threadIndex(), nt = threadCount();
    for (int64_t jc = 0; jc < N; jc += pb.nc) {
      const int nc = static_cast<int>(std::min<int64_t>(pb.nc, N - jc));
      const int64_t panels = (nc + P.nr - 1) / P.nr;
      for (int64_t pc = 0; pc < K; pc += pb.kc) {
        const int kc = static_cast<int>(std::min<int64_t>(pb.kc, K - pc));
        const float* bsrc = transB ? B + jc * ldb + pc : B + pc * ldb + jc;
        P.packB(transB, kc, nc, bsrc, ldb, alpha, dst + jc * K + pc * panels * P.nr, panels * t / nt,
                panels * (t + 1) / nt);
      }
    }
  }
  return pb;
}

void sgemmPackedB(int threads, bool transA, int64_t M, const float* A, int64_t lda, const PackedB& B,
                  float beta, float* C, int64_t ldc, const GemmEpilogue* epilogue) {
  const int64_t N = B.N, K = B.K;
  if (M <= 0 || N <= 0) return;
  const GemmEpilogue* epi = epilogue;
  if (epi && !epi->bias && !epi->residual && epi->activation == Activation::none) epi = nullptr;
  if (K <= 0) {
    scaleOnly(M, N, beta, C, ldc, epi);
    return;
  }
  const GemmPath& P = selectPath(N, M);
  const int MR = P.mr, NR = P.nr;
  const int64_t mPanels = (M + MR - 1) / MR;
#ifdef _OPENMP
  if (omp_in_parallel()) threads = 1;
#else
  threads = 1;
#endif
  if (M * N * K < 128 * 128 * 32) threads = 1;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, mPanels)));
  Problem prob{transA, false, M, N, K, 1.0f, A, lda, nullptr, 0, beta, C, ldc, epi, !transA};
  prob.stream = streamC(M, N, K, beta, C, ldc);
  prob.copyRows = copyRowsFor(!transA, lda);
  // Row panels are taken in groups so that, when a column block of B does not fit the L2
  // budget, its K blocks sweep a C block that stays in cache (instead of all of C).
  constexpr int64_t kGroupPanels = 16;
  auto body = [&](int tid, int nt) {
    alignas(64) float Ap[(256 + kCopyRowsPad) * kMaxMR];  // packed / copied A panel
    alignas(64) float tile[kMaxMR * kMaxNR];
    const int64_t rp0 = mPanels * tid / nt, rp1 = mPanels * (tid + 1) / nt;
    for (int64_t jc = 0; jc < N; jc += B.nc) {
      const int nc = static_cast<int>(std::min<int64_t>(B.nc, N - jc));
      const int64_t panels = (nc + NR - 1) / NR;
      const float* Bj = B.data + jc * K;
      const bool resident = K * panels * NR * static_cast<int64_t>(sizeof(float)) <= kResidentBytes;
      if (resident) {
        for (int64_t rp = rp0; rp < rp1; ++rp)
          for (int64_t pc = 0; pc < K; pc += B.kc) {
            const int kc = static_cast<int>(std::min<int64_t>(B.kc, K - pc));
            rowPanel(P, prob, rp, rp1, pc, kc, jc, nc, Bj + pc * panels * NR, Ap, tile);
          }
        continue;
      }
      for (int64_t g0 = rp0; g0 < rp1; g0 += kGroupPanels) {
        const int64_t g1 = std::min(rp1, g0 + kGroupPanels);
        for (int64_t pc = 0; pc < K; pc += B.kc) {
          const int kc = static_cast<int>(std::min<int64_t>(B.kc, K - pc));
          for (int64_t rp = g0; rp < g1; ++rp)
            rowPanel(P, prob, rp, g1, pc, kc, jc, nc, Bj + pc * panels * NR, Ap, tile);
        }
      }
    }
    if (prob.stream) storeFence();
  };
  if (threads == 1) {
    body(0, 1);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  { body(omp_get_thread_num(), omp_get_num_threads()); }
#endif
}

}  // namespace convkit
