// Data-movement ops on contiguous float tensors: concat / split along an axis, general permute
// (NHWC <-> NCHW included), constant pad and its backward (crop). No arithmetic, so no ISA
// paths: memcpy rows and cache-tiled transposes. Arguments are trusted: the binding checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convkit {

// Concat along an axis, seen as [outer, rowLength_i]: output row o is the inputs' row o
// side by side. rowLengths[i] = input i's size along the axis * the product of later dims.
void concatRows(int64_t outer, const std::vector<const float*>& inputs,
                const std::vector<int64_t>& rowLengths, float* out);
// The inverse: splits each row of `in` into the outputs.
void splitRows(int64_t outer, const float* in, const std::vector<float*>& outputs,
               const std::vector<int64_t>& rowLengths);

// Columns [srcOffset, srcOffset + width) of `rows` rows of src (srcStride floats apart) to
// columns [dstOffset, ...) of dst's rows (dstStride apart): a channel slice of an NHWC tensor
// into or out of a wider one (a DenseNet block's shared feature buffer).
void copyColumns(int64_t rows, int64_t width, const float* src, int64_t srcStride,
                 int64_t srcOffset, float* dst, int64_t dstStride, int64_t dstOffset);

// out = in.permute(perm): out dim j is in dim perm[j].
void permute(const float* in, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm,
             float* out);

// out = constant pad of in: before[i] / after[i] elements on each side of dim i.
void padConstant(const float* in, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float value, float* out);
// gradIn = the interior of gradOut (pad's backward: a crop).
void padBackward(const float* gradOut, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float* gradIn);

namespace ref {
void concatRows(int64_t outer, const std::vector<const float*>& inputs,
                const std::vector<int64_t>& rowLengths, float* out);
void splitRows(int64_t outer, const float* in, const std::vector<float*>& outputs,
               const std::vector<int64_t>& rowLengths);
void permute(const float* in, const std::vector<int64_t>& shape, const std::vector<int64_t>& perm,
             float* out);
void padConstant(const float* in, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float value, float* out);
void padBackward(const float* gradOut, const std::vector<int64_t>& shape,
                 const std::vector<int64_t>& before, const std::vector<int64_t>& after,
                 float* gradIn);
}  // namespace ref

}  // namespace convkit
