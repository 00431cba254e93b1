// 2-D pooling over NHWC activations [N, H, W, C]: max (with argmax indices for backward),
// average (PyTorch's countIncludePad / divisorOverride / ceilMode rules) and adaptive average.
// Indices are PyTorch's: the flat position h * W + w inside the input plane, one per output
// element. Arguments are trusted: the binding validates them (poolOutputSize below).
#pragma once

#include <cstdint>

namespace convkit {

struct Pool2dParams {
  int64_t N, H, W, C;    // input
  int64_t OH, OW;        // output (from poolOutputSize)
  int64_t kh, kw;        // kernel
  int64_t sh, sw;        // stride (>= 1)
  int64_t ph, pw;        // padding on both sides (<= kernel / 2)
  int64_t dh = 1, dw = 1;  // dilation (max pool only)
};

// PyTorch's pooling_output_shape: floor (or ceil) of (in + 2p - d(k-1) - 1) / s + 1, where in
// ceil mode the last window must start inside the input or the left padding. May be <= 0
// (the caller reports "output too small").
int64_t poolOutputSize(int64_t in, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation,
                       bool ceilMode);

void maxPool2d(const Pool2dParams& p, const float* input, float* output, int32_t* indices);
// gradInput is overwritten. Indices that name no position of their window are ignored.
void maxPool2dBackward(const Pool2dParams& p, const float* gradOutput, const int32_t* indices,
                       float* gradInput);

// divisorOverride <= 0: none.
void avgPool2d(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
               const float* input, float* output);
void avgPool2dBackward(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
                       const float* gradOutput, float* gradInput);

// Windows [floor(i * H / OH), ceil((i + 1) * H / OH)); uses N, H, W, C, OH, OW of p.
void adaptiveAvgPool2d(const Pool2dParams& p, const float* input, float* output);
void adaptiveAvgPool2dBackward(const Pool2dParams& p, const float* gradOutput, float* gradInput);

namespace ref {
void maxPool2d(const Pool2dParams& p, const float* input, float* output, int32_t* indices);
void maxPool2dBackward(const Pool2dParams& p, const float* gradOutput, const int32_t* indices,
                       float* gradInput);
void avgPool2d(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
               const float* input, float* output);
void avgPool2dBackward(const Pool2dParams& p, bool countIncludePad, int64_t divisorOverride,
                       const float* gradOutput, float* gradInput);
void adaptiveAvgPool2d(const Pool2dParams& p, const float* input, float* output);
void adaptiveAvgPool2dBackward(const Pool2dParams& p, const float* gradOutput, float* gradInput);
}  // namespace ref

}  // namespace convkit
