// Broadcasting driver: collapses the shapes to the fewest dims (merging neighbours that are
// contiguous, or broadcast, in both inputs), then runs a microkernel along the innermost dim
// for every outer row. The SE scale [N,H,W,C] * [N,1,1,C] collapses to [N, H*W, C] with the
// scale's stride 0 on H*W: a row of C contiguous products against the sample's scale vector.
// Threads split rows, and long rows into chunks, so a plain same-shape add also splits.
#include "elementwise.h"

#include <algorithm>

#include "../isa/elementwise_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit {

namespace {

isa::ElementwiseUkernels selectUkernels() {
  switch (activeIsa()) {
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::avx512:
      return isa::elementwiseUkernels__avx512();
    case Isa::avx2:
      return isa::elementwiseUkernels__avx2();
#endif
    default:
      return isa::elementwiseUkernels__generic();
  }
}

// Dims inner first, with each input's element stride (0 where it broadcasts).
struct Collapsed {
  std::vector<int64_t> dims, aStride, bStride;
};

std::vector<int64_t> alignedStrides(const std::vector<int64_t>& shape,
                                    const std::vector<int64_t>& outShape) {
  const size_t rank = outShape.size(), offset = rank - shape.size();
  std::vector<int64_t> strides(rank, 0);
  int64_t stride = 1;
  for (size_t i = rank; i-- > offset;) {
    const int64_t d = shape[i - offset];
    strides[i] = d == 1 ? 0 : stride;
    stride *= d;
  }
  return strides;
}

Collapsed collapse(const std::vector<int64_t>& aShape, const std::vector<int64_t>& bShape,
                   const std::vector<int64_t>& outShape) {
  const std::vector<int64_t> as = alignedStrides(aShape, outShape), bs = alignedStrides(bShape, outShape);
  Collapsed c;
  for (size_t i = outShape.size(); i-- > 0;) {
    const int64_t d = outShape[i];
    if (d == 1) continue;
    if (!c.dims.empty()) {
      const size_t last = c.dims.size() - 1;
      if (as[i] == c.aStride[last] * c.dims[last] && bs[i] == c.bStride[last] * c.dims[last]) {
        c.dims[last] *= d;
        continue;
      }
    }
    c.dims.push_back(d);
    c.aStride.push_back(as[i]);
    c.bStride.push_back(bs[i]);
  }
  if (c.dims.empty()) c.dims = {1}, c.aStride = {0}, c.bStride = {0};
  return c;
}

}  // namespace

void binaryBroadcast(BinaryOp op, const float* a, const std::vector<int64_t>& aShape,
                     const float* b, const std::vector<int64_t>& bShape, float* out,
                     const std::vector<int64_t>& outShape) {
  int64_t total = 1;
  for (int64_t d : outShape) total *= d;
  if (total == 0) return;
  const Collapsed c = collapse(aShape, bShape, outShape);
  const int64_t inner = c.dims[0];
  const int64_t rows = total / inner;
  // Inner strides are 0 or 1 (the dims inside an input's innermost are all 1).
  const bool aVaries = c.aStride[0] != 0, bVaries = c.bStride[0] != 0;
  const isa::ElementwiseUkernels uk = selectUkernels();
  const int o = static_cast<int>(op);
  const isa::BinaryUkernel kernel =
      aVaries && bVaries ? uk.binary[o][0] : aVaries ? uk.binary[o][1] : uk.binary[o][2];
  const int threads = kernelThreads();
  // Chunks of >= 16K floats: enough work per chunk, and few enough row splits.
  constexpr int64_t kChunk = 16384;
  const int64_t chunksPerRow = rows >= 4 * threads ? 1 : std::max<int64_t>(1, inner / kChunk);
  const int64_t chunkLength = (inner + chunksPerRow - 1) / chunksPerRow;
  const int64_t units = rows * chunksPerRow;
  const int parallel = total >= 32768 ? threads : 1;
#pragma omp parallel for num_threads(parallel) schedule(static) if (parallel > 1)
  for (int64_t unit = 0; unit < units; ++unit) {
    const int64_t row = unit / chunksPerRow, start = (unit % chunksPerRow) * chunkLength;
    const int64_t length = std::min(chunkLength, inner - start);
    int64_t aOffset = 0, bOffset = 0, rest = row;
    for (size_t d = 1; d < c.dims.size() && rest; ++d) {
      const int64_t i = rest % c.dims[d];
      rest /= c.dims[d];
      aOffset += i * c.aStride[d];
      bOffset += i * c.bStride[d];
    }
    float* dst = out + row * inner + start;
    const float* x = a + aOffset + (aVaries ? start : 0);
    const float* y = b + bOffset + (bVaries ? start : 0);
    if (!aVaries && !bVaries) {
      // Both broadcast along the row (an expand): one value repeated.
      float v;
      uk.binary[o][0](1, x, y, &v);
      std::fill(dst, dst + length, v);
    } else {
      kernel(size_t(length), x, y, dst);
    }
  }
}

}  // namespace convkit
