// Scalar shape-op references: one element at a time by explicit index arithmetic.
#include <cstddef>
#include <vector>

#include "../shape.h"

namespace convkit::ref {

void concatRows(int64_t outer, const std::vector<const float*>& inputs,
                const std::vector<int64_t>& rowLengths, float* out) {
  int64_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < inputs.size(); ++i)
      for (int64_t k = 0; k < rowLengths[i]; ++k) out[at++] = inputs[i][o * rowLengths[i] + k];
}

void splitRows(int64_t outer, const float* in, const std::vector<float*>& outputs,
               const std::vector<int64_t>& rowLengths) {
  int64_t at = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < outputs.size(); ++i)
      for (int64_t k = 0; k < rowLengths[i]; ++k) outputs[i][o * rowLengths[i] + k] = in[at++];
}

void permute(const float* in, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm,
             float* out) {
  const size_t r = shape.size();
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  std::vector<int64_t> outShape(r), index(r);
  for (size_t j = 0; j < r; ++j) outShape[j] = shape[perm[j]];
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat;
    for (size_t j = r; j-- > 0;) index[perm[j]] = rest % outShape[j], rest /= outShape[j];
    int64_t source = 0;
    for (size_t i = 0; i < r; ++i) source = source * shape[i] + index[i];
    out[flat] = in[source];
  }
}

namespace {
// Calls visit(inFlat, outFlat) for every element of the unpadded tensor.
template <typename Visit>
void forEachInterior(const std::vector<int64_t>& shape, const std::vector<int64_t>& before,
                     const std::vector<int64_t>& after, Visit visit) {
  const size_t r = shape.size();
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat, outFlat = 0, stride = 1;
    for (size_t i = r; i-- > 0;) {
      outFlat += (rest % shape[i] + before[i]) * stride;
      stride *= shape[i] + before[i] + after[i];
      rest /= shape[i];
    }
    visit(flat, outFlat);
  }
}
}  // namespace

void padConstant(const float* in, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float value, float* out) {
  int64_t outSize = 1;
  for (size_t i = 0; i < shape.size(); ++i) outSize *= shape[i] + before[i] + after[i];
  for (int64_t i = 0; i < outSize; ++i) out[i] = value;
  forEachInterior(shape, before, after, [&](int64_t i, int64_t o) { out[o] = in[i]; });
}

void padBackward(const float* gradOut, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float* gradIn) {
  forEachInterior(shape, before, after, [&](int64_t i, int64_t o) { gradIn[i] = gradOut[o]; });
}

}  // namespace convkit::ref
