// Per-ISA pooling microkernels (bodies: native/isa/common/pool_impl.h, compiled once per ISA
// in native/isa/<isa>/pool.cc). Declarations only: baseline TUs include this header.
// Each works on one output pixel and a run of `channels` contiguous channels; the window is
// given as `count` pointers (one per valid input position, already offset to the channel run).
#pragma once

#include <cstddef>
#include <cstdint>

namespace convkit::isa {

// Geometry of one max-pool output row (the same fields as convkit::Pool2dParams).
struct PoolRowArgs {
  int64_t H, W, C, OW, kh, kw, sh, sw, ph, pw, dh, dw;
};

struct PoolUkernels {
  // out[c] = max_k in[k][c]; index[c] = positions[k] of the first maximum (NaN wins, as
  // PyTorch). count == 0: -inf and index -1.
  void (*maxForward)(size_t channels, size_t count, const float* const* in,
                     const int32_t* positions, float* out, int32_t* index);
  // gradIn[k][c] += gradOut[c] where index[c] == positions[k].
  void (*maxBackward)(size_t channels, size_t count, float* const* gradIn,
                      const int32_t* positions, const float* gradOut, const int32_t* index);
  // out[c] = scale * sum_k in[k][c].
  void (*avgForward)(size_t channels, size_t count, const float* const* in, float scale,
                     float* out);
  // gradIn[k][c] += scale * gradOut[c].
  void (*avgBackward)(size_t channels, size_t count, float* const* gradIn, float scale,
                      const float* gradOut);
  // Output row oh of one sample (plane [H][W][C]): out / index rows [OW][C], as maxForward
  // over each window (scan order row-major), with the window ranges computed inline.
  void (*maxForwardRow)(const PoolRowArgs* args, const float* plane, int64_t oh, float* out,
                        int32_t* index);
  // acc[c] += sum over `rows` rows of x[r][c] (rows of C contiguous channels).
  void (*sumRows)(const float* x, int64_t rows, int64_t C, float* acc);
};

#if defined(__x86_64__) || defined(_M_X64)
PoolUkernels poolUkernels__avx512();
PoolUkernels poolUkernels__avx2();
#endif
PoolUkernels poolUkernels__generic();

}  // namespace convkit::isa
