// Shape ops: memcpy rows (concat / split / pad) and cache-tiled transposes (permute).
// One coarse OpenMP region per call, over rows (or over chunks of long copies).
#include "shape.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../runtime/threads.h"

namespace convkit {

namespace {

constexpr int64_t kParallelBytes = 1 << 17;  // below this a second thread costs more than it saves

int threadsFor(int64_t elements) {
  return elements * int64_t(sizeof(float)) >= kParallelBytes ? kernelThreads() : 1;
}

// Copies `length` floats, split across the threads (used inside a parallel region).
void copySlice(float* dst, const float* src, int64_t length) {
  const int t = threadIndex(), nt = threadCount();
  const int64_t begin = length * t / nt, end = length * (t + 1) / nt;
  if (end > begin) std::memcpy(dst + begin, src + begin, sizeof(float) * (end - begin));
}

template <bool kSplit>
void rows(int64_t outer, float* joined, const std::vector<float*>& parts,
          const std::vector<int64_t>& rowLengths) {
  int64_t rowLength = 0;
  for (int64_t l : rowLengths) rowLength += l;
  const int threads = threadsFor(outer * rowLength);
  const size_t count = parts.size();
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    if (outer >= 4 * threadCount()) {
#pragma omp for schedule(static)
      for (int64_t o = 0; o < outer; ++o) {
        float* row = joined + o * rowLength;
        for (size_t i = 0; i < count; ++i) {
          float* part = parts[i] + o * rowLengths[i];
          if (kSplit) std::memcpy(part, row, sizeof(float) * rowLengths[i]);
          else std::memcpy(row, part, sizeof(float) * rowLengths[i]);
          row += rowLengths[i];
        }
      }
    } else {  // few long rows (concat along an outer axis): split each copy
      for (int64_t o = 0; o < outer; ++o) {
        float* row = joined + o * rowLength;
        for (size_t i = 0; i < count; ++i) {
          float* part = parts[i] + o * rowLengths[i];
          if (kSplit) copySlice(part, row, rowLengths[i]);
          else copySlice(row, part, rowLengths[i]);
          row += rowLengths[i];
        }
      }
    }
  }
}

}  // namespace

void concatRows(int64_t outer, const std::vector<const float*>& inputs,
                const std::vector<int64_t>& rowLengths, float* out) {
  std::vector<float*> parts;
  for (const float* p : inputs) parts.push_back(const_cast<float*>(p));  // read only
  rows<false>(outer, out, parts, rowLengths);
}

namespace {

// Rows this far ahead are prefetched: each row is a short run (32 channels = 2 cache lines in
// a DenseNet block), too short for the hardware prefetchers to follow across strided rows.
constexpr int64_t kPrefetchRows = 16;
// Destinations of this many bytes or more (counting the rows' whole stride) are written with
// non-temporal stores where every row is whole 64-byte lines: they do not stay in the caches
// anyway, and the stores then skip reading each line first.
constexpr int64_t kStreamBytes = int64_t(8) << 20;

bool streamable(int64_t rows, int64_t width, const float* dst, int64_t dstStride,
                int64_t dstOffset) {
#if defined(__SSE2__)
  return rows * dstStride * int64_t(sizeof(float)) >= kStreamBytes && width % 16 == 0 &&
         dstStride % 16 == 0 && dstOffset % 16 == 0 && reinterpret_cast<uintptr_t>(dst) % 64 == 0;
#else
  (void)rows, (void)width, (void)dst, (void)dstStride, (void)dstOffset;
  return false;
#endif
}

void prefetchRow(const float* row, int64_t width) {
  for (int64_t c = 0; c < width; c += 16) __builtin_prefetch(row + c, 0, 3);
}

}  // namespace

// Measured on the Intel Xeon (2 threads, cold caches), DenseNet-121's copies at 56x56 batch 16:
// 32 channels into the 256-wide buffer 1.47 -> 0.52 ms, out of it 0.98 -> 0.75, the 256-wide
// gradient 5.6 -> 3.2 ms (plain memcpy per row -> prefetched rows, streamed stores); all of a
// DenseNet-121 training step's copies 40 -> 22-26 ms.
void copyColumns(int64_t rows, int64_t width, const float* src, int64_t srcStride,
                 int64_t srcOffset, float* dst, int64_t dstStride, int64_t dstOffset) {
  if (rows <= 0 || width <= 0) return;
  const int threads = threadsFor(rows * width);
  const bool stream = streamable(rows, width, dst, dstStride, dstOffset);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const float* s = src + r * srcStride + srcOffset;
      float* d = dst + r * dstStride + dstOffset;
      if (r + kPrefetchRows < rows) prefetchRow(s + kPrefetchRows * srcStride, width);
#if defined(__SSE2__)
      if (stream) {
        for (int64_t c = 0; c < width; c += 4) _mm_stream_ps(d + c, _mm_loadu_ps(s + c));
        continue;
      }
#endif
      std::memcpy(d, s, sizeof(float) * width);
    }
#if defined(__SSE2__)
    if (stream) _mm_sfence();  // this thread's streamed rows, before anyone reads them
#endif
  }
}

void splitRows(int64_t outer, const float* in, const std::vector<float*>& outputs,
               const std::vector<int64_t>& rowLengths) {
  rows<true>(outer, const_cast<float*>(in), outputs, rowLengths);  // read only
}

void permute(const float* in, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm,
             float* out) {
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  if (total == 0) return;
  // Collapse: drop size-1 dims; merge input dims i, i+1 that stay neighbours in the output.
  std::vector<int64_t> keep(shape.size(), -1), sizes;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1) keep[i] = 0;
  std::vector<int64_t> order;  // input dims (size > 1) in output order
  for (int64_t p : perm)
    if (keep[p] == 0) order.push_back(p);
  // Groups: runs of consecutive input dims in output order.
  std::vector<std::vector<int64_t>> groups;
  for (int64_t p : order) {
    if (!groups.empty() && groups.back().back() + 1 == p) {
      // also require that no kept input dim lies between (true: consecutive indices)
      groups.back().push_back(p);
    } else {
      groups.push_back({p});
    }
  }
  // A group's size and its input stride (stride of its last, innermost dim).
  std::vector<int64_t> inStride(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) inStride[i - 1] = inStride[i] * shape[i];
  const size_t m = groups.size();
  std::vector<int64_t> gSize(m), gIn(m), gOut(m);
  for (size_t j = 0; j < m; ++j) {
    gSize[j] = 1;
    for (int64_t p : groups[j]) gSize[j] *= shape[p];
    gIn[j] = inStride[groups[j].back()];
  }
  for (size_t j = m, s = 1; j-- > 0;) gOut[j] = int64_t(s), s *= size_t(gSize[j]);
  if (m <= 1) {
    std::memcpy(out, in, sizeof(float) * total);
    return;
  }
  // Group B is the output's innermost; group A is the one holding the input's innermost.
  const size_t B = m - 1;
  size_t A = 0;
  for (size_t j = 0; j < m; ++j)
    if (gIn[j] == 1) A = j;
  int64_t others = 1;
  for (size_t j = 0; j < m; ++j)
    if (j != A && j != B) others *= gSize[j];
  const int threads = threadsFor(total);
  if (A == B) {  // the innermost run stays innermost: row copies
    const int64_t run = gSize[B];
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t r = 0; r < others; ++r) {
      int64_t rest = r, inOff = 0, outOff = 0;
      for (size_t j = B; j-- > 0;) {
        const int64_t i = rest % gSize[j];
        rest /= gSize[j];
        inOff += i * gIn[j], outOff += i * gOut[j];
      }
      std::memcpy(out + outOff, in + inOff, sizeof(float) * run);
    }
    return;
  }
  // Tiled transpose of the (A, B) plane for every index of the other groups.
  constexpr int64_t T = 16;
  const int64_t nA = gSize[A], nB = gSize[B], tilesA = (nA + T - 1) / T, tilesB = (nB + T - 1) / T;
  const int64_t strideAOut = gOut[A], strideBIn = gIn[B];
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t unit = 0; unit < others * tilesA * tilesB; ++unit) {
    const int64_t tb = unit % tilesB, ta = (unit / tilesB) % tilesA;
    int64_t rest = unit / (tilesA * tilesB), inOff = 0, outOff = 0;
    for (size_t j = m; j-- > 0;) {
      if (j == A || j == B) continue;
      const int64_t i = rest % gSize[j];
      rest /= gSize[j];
      inOff += i * gIn[j], outOff += i * gOut[j];
    }
    const int64_t a0 = ta * T, a1 = std::min(a0 + T, nA), b0 = tb * T, b1 = std::min(b0 + T, nB);
    for (int64_t a = a0; a < a1; ++a) {
      float* dst = out + outOff + a * strideAOut;
      const float* src = in + inOff + a;
      for (int64_t b = b0; b < b1; ++b) dst[b] = src[b * strideBIn];
    }
  }
}

namespace {

// Copies the box `shape` between two row-major arrays whose shapes differ by the padding:
// toPadded copies in -> out interior, else the interior of out -> in.
void copyInterior(const float* in, const std::vector<int64_t>& shape,
                  const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                  float* padded, bool toPadded) {
  const size_t r = shape.size();
  int64_t rowsCount = 1, total = 1;
  for (size_t i = 0; i + 1 < r; ++i) rowsCount *= shape[i];
  for (int64_t d : shape) total *= d;
  if (total == 0) return;
  if (r == 0) {  // a 0-d tensor: one element, no padding
    if (toPadded) padded[0] = in[0];
    else const_cast<float*>(in)[0] = padded[0];
    return;
  }
  std::vector<int64_t> paddedStride(r, 1);
  for (size_t i = r; i-- > 1;) paddedStride[i - 1] = paddedStride[i] * (shape[i] + before[i] + after[i]);
  int64_t origin = 0;
  for (size_t i = 0; i < r; ++i) origin += before[i] * paddedStride[i];
  const int64_t run = r ? shape[r - 1] : 1;
  const int threads = threadsFor(total);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t row = 0; row < rowsCount; ++row) {
    int64_t rest = row, offset = origin;
    for (size_t i = r - 1; i-- > 0;) offset += (rest % shape[i]) * paddedStride[i], rest /= shape[i];
    float* p = padded + offset;
    float* q = const_cast<float*>(in) + row * run;
    if (toPadded) std::memcpy(p, q, sizeof(float) * run);
    else std::memcpy(q, p, sizeof(float) * run);
  }
}

}  // namespace

void padConstant(const float* in, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float value, float* out) {
  int64_t outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i) outSize *= shape[i] + before[i] + after[i];
  std::fill(out, out + outSize, value);
  copyInterior(in, shape, before, after, out, true);
}

void padBackward(const float* gradOut, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float* gradIn) {
  copyInterior(gradIn, shape, before, after, const_cast<float*>(gradOut), false);
}

}  // namespace convkit
