// Reduction driver: drops size-1 dims, merges neighbours with the same reduced/kept status,
// then walks the outer dims with a microkernel along the innermost one (kept: vector
// accumulate of a whole row into the output; reduced: a vector sum of the row).
// The common NHWC case (sum over N, H, W keeping C) collapses to [R, C]: rows of C added
// into C accumulators that stay in L1.
// Threads split the outermost dim: when it is kept their outputs are disjoint; when it is
// reduced each thread sums into a private buffer and the buffers are added at the end.
// Sums are float, in blocks (each thread's rows, then across threads).
#include "reduce.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../isa/reduce_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/memory.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

isa::ReduceUkernels selectUkernels() {
  switch (activeIsa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx512:
      return isa::reduceUkernels__avx512();
    case Isa::avx2:
      return isa::reduceUkernels__avx2();
#endif
    default:
      return isa::reduceUkernels__generic();
  }
}

struct Dims {
  std::vector<int64_t> size;    // outer first
  std::vector<bool> reduced;
  std::vector<int64_t> inStride, outStride;  // outStride 0 on reduced dims
};

Dims collapse(const std::vector<int64_t>& shape, const std::vector<bool>& reduced) {
  Dims d;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!d.size.empty() && d.reduced.back() == reduced[i])
      d.size.back() *= shape[i];
    else
      d.size.push_back(shape[i]), d.reduced.push_back(reduced[i]);
  }
  const size_t m = d.size.size();
  d.inStride.assign(m, 1);
  d.outStride.assign(m, 0);
  int64_t in = 1, out = 1;
  for (size_t i = m; i-- > 0;) {
    d.inStride[i] = in;
    in *= d.size[i];
    if (!d.reduced[i]) d.outStride[i] = out, out *= d.size[i];
  }
  return d;
}

// Adds the slice [begin, end) of the outermost dim into out (which the caller zeroed).
void sumSlice(const isa::ReduceUkernels& uk, const Dims& d, int64_t begin, int64_t end,
              const float* in, float* out) {
  const size_t m = d.size.size();
  const int64_t inner = d.size[m - 1];
  const bool innerReduced = d.reduced[m - 1];
  if (m == 1) {
    if (innerReduced) out[0] += uk.sum(size_t(end - begin), in + begin);
    else std::memcpy(out + begin, in + begin, sizeof(float) * (end - begin));
    return;
  }
  // Rows: every index of dims [0, m - 1), dim 0 restricted to [begin, end).
  int64_t perOuter = 1;
  for (size_t k = 1; k + 1 < m; ++k) perOuter *= d.size[k];
  std::vector<int64_t> index(m, 0);
  for (int64_t o = begin; o < end; ++o) {
    std::fill(index.begin(), index.end(), 0);
    for (int64_t r = 0; r < perOuter; ++r) {
      int64_t inOffset = o * d.inStride[0], outOffset = o * d.outStride[0];
      for (size_t k = 1; k + 1 < m; ++k) inOffset += index[k] * d.inStride[k], outOffset += index[k] * d.outStride[k];
      if (innerReduced) out[outOffset] += uk.sum(size_t(inner), in + inOffset);
      else uk.accumulate(size_t(inner), in + inOffset, out + outOffset);
      for (size_t k = m - 1; k-- > 1;) {
        if (++index[k] < d.size[k]) break;
        index[k] = 0;
      }
    }
  }
}

}  // namespace

void reduceSum(const float* input, const std::vector<int64_t>& shape,
               const std::vector<bool>& reduced, float scale, float* out) {
  int64_t inSize = 1, outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    inSize *= shape[i];
    if (!reduced[i]) outSize *= shape[i];
  }
  if (outSize == 0) return;
  if (inSize == 0) {
    std::fill(out, out + outSize, 0.0f * scale);
    return;
  }
  const Dims d = collapse(shape, reduced);
  if (d.size.empty()) {  // every dim is 1
    out[0] = input[0] * scale;
    return;
  }
  const isa::ReduceUkernels uk = selectUkernels();
  const int64_t outer = d.size[0];
  const int threads = inSize >= 32768 ? std::min<int64_t>(kernelThreads(), outer) : 1;
  if (!d.reduced[0]) {
    std::fill(out, out + outSize, 0.0f);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      const int t = threadIndex(), nt = threadCount();
      sumSlice(uk, d, outer * t / nt, outer * (t + 1) / nt, input, out);
    }
  } else {
    Scratch partials(sizeof(float) * size_t(outSize) * threads);
    float* buffers = partials.as<float>();
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
      const int t = threadIndex(), nt = threadCount();
      float* mine = buffers + int64_t(t) * outSize;
      std::fill(mine, mine + outSize, 0.0f);
      sumSlice(uk, d, outer * t / nt, outer * (t + 1) / nt, input, mine);
#pragma omp barrier
#pragma omp for schedule(static)
      for (int64_t i = 0; i < outSize; ++i) {
        float s = 0;
        for (int k = 0; k < nt; ++k) s += buffers[k * outSize + i];
        out[i] = s;
      }
    }
  }
  if (scale != 1.0f) uk.scale(size_t(outSize), scale, out);
}

void spatialDot(int64_t outer, int64_t inner, int64_t C, const float* a, const float* b,
                float* out) {
  const isa::ReduceUkernels uk = selectUkernels();
  const int threads = outer * inner * C >= (1 << 16) ? kernelThreads() : 1;
  // Tasks: each outer index split into `parts` row ranges, so that a batch smaller than the
  // thread count still keeps every thread busy; each task's double sums land in its own slot
  // and are added in task order (the result does not depend on the thread count's timing).
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(inner, (2 * threads + outer - 1) / outer));
  const int64_t tasks = outer * parts;
  std::vector<double> sums(static_cast<size_t>(tasks * C), 0.0);
  constexpr int64_t kBlockRows = 256;  // float partial sums over at most this many rows
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    std::vector<float> block(static_cast<size_t>(C));
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t o = t / parts, q = t % parts;
      const int64_t i0 = inner * q / parts, i1 = inner * (q + 1) / parts;
      double* s = sums.data() + t * C;
      for (int64_t r = i0; r < i1; r += kBlockRows) {
        const int64_t n = std::min(kBlockRows, i1 - r);
        std::fill(block.begin(), block.end(), 0.0f);
        const int64_t offset = (o * inner + r) * C;
        uk.dotRows(static_cast<size_t>(n), static_cast<size_t>(C), a + offset, b + offset,
                   block.data());
        for (int64_t c = 0; c < C; ++c) s[c] += block[c];
      }
    }
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < C; ++c) {
      double v = 0;
      for (int64_t q = 0; q < parts; ++q) v += sums[(o * parts + q) * C + c];
      out[o * C + c] = static_cast<float>(v);
    }
}

}  // namespace convkit
