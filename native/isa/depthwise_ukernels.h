// Declarations of the per-ISA depthwise row kernels (bodies: native/isa/common/depthwise_impl.h,
// compiled once per ISA by native/isa/<isa>/depthwise.cc). Declarations only: baseline TUs
// include this header, so it must never contain ISA-specific code.
//
// The kernels see a multiplier-1 problem: C input channels -> C output channels (the driver
// expands the input for multiplier > 1). Weights and bias come repacked by the driver:
// weight [KH*KW][Cp] (tap-major, Cp = C rounded up to kDepthwiseChannelPad, zero padded) so one
// vector load takes consecutive channels without a mask; bias [Cp] (zero padded) or nullptr.
#pragma once

#include <cstdint>

namespace convkit::isa {

constexpr int64_t kDepthwiseChannelPad = 16;

struct DepthwiseArgs {
  int64_t N;       // images
  int64_t H, W;    // input rows / columns (per image)
  int64_t OH, OW;  // output rows / columns
  int64_t C, Cp;   // channels, padded channel stride of weight / bias / partial sums
  int64_t KH, KW, strideH, strideW, padTop, padLeft, dilationH, dilationW;
  const float* weight;  // [KH*KW][Cp]
  const float* bias;    // [Cp] or nullptr (forward)
  int activation;       // 0 none, 1 relu, 2 relu6 (forward)
};

// Forward: y rows [rowBegin, rowEnd) of the N*OH output rows; x [N,H,W,C], y [N,OH,OW,C].
typedef void (*DepthwiseForwardFn)(const DepthwiseArgs* args, const float* x, float* y,
                                   int64_t rowBegin, int64_t rowEnd);
// Backward data by gathering (any stride): dx rows [rowBegin, rowEnd) of the N*H input rows,
// from dy [N,OH,OW,C]; overwrites them. (Stride 1 goes through the forward kernel instead, on
// dy with the kernel flipped.)
typedef void (*DepthwiseBackwardDataFn)(const DepthwiseArgs* args, const float* dy, float* dx,
                                        int64_t rowBegin, int64_t rowEnd);
// Backward weights: adds the contributions of output rows [rowBegin, rowEnd) to
// dweight [KH*KW][Cp] and (when not nullptr) dbias [Cp] — one thread's partial sums.
typedef void (*DepthwiseBackwardWeightsFn)(const DepthwiseArgs* args, const float* x,
                                           const float* dy, float* dweight, float* dbias,
                                           int64_t rowBegin, int64_t rowEnd);

#define CONVKIT_DECLARE_F32_DEPTHWISE(isa)                                                     \
  void f32_depthwise_forward__##isa(const DepthwiseArgs*, const float*, float*, int64_t,       \
                                    int64_t);                                                  \
  void f32_depthwise_backward_data__##isa(const DepthwiseArgs*, const float*, float*, int64_t, \
                                          int64_t);                                            \
  void f32_depthwise_backward_weights__##isa(const DepthwiseArgs*, const float*, const float*, \
                                             float*, float*, int64_t, int64_t);
#if defined(__x86_64__) || defined(_M_X64)
CONVKIT_DECLARE_F32_DEPTHWISE(avx512)
CONVKIT_DECLARE_F32_DEPTHWISE(avx2)
#endif
CONVKIT_DECLARE_F32_DEPTHWISE(generic)
#undef CONVKIT_DECLARE_F32_DEPTHWISE

}  // namespace convkit::isa
