// The 1x1 weight gradient over chunks of rows into per-thread partials, shared by the chunked
// 1x1 paths (conv_pointwise.cc, conv_input_norm.cc). Internal: arguments are trusted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "conv_implicit.h"
#include "gemm.h"

namespace convkit {

// dW = dh^T x over one chunk of rows, added into a per-thread partial: on AVX-512 with the
// backward-weights microkernel reading dh and x in place (packing dh^T for the GEMM took as long
// as its FMAs), in whichever orientation pads less (dW or dW^T); elsewhere with a one-thread GEMM.
class PointwiseWeightsChunks {
 public:
  PointwiseWeightsChunks(int64_t Cout, int64_t Cin) : Cout_(Cout), Cin_(Cin) {
    WeightsGrid plain, flipped;
    if (weightsGrid(Cout, Cin, &plain) && weightsGrid(Cin, Cout, &flipped)) {
      transposed_ = flipped.rPad * flipped.cPad < plain.rPad * plain.cPad;
      grid_ = transposed_ ? flipped : plain;
      useGrid_ = true;
    }
  }
  // Floats a partial takes, and the slack the microkernel reads past an operand's last row.
  int64_t partFloats() const { return useGrid_ ? grid_.rPad * grid_.cPad : Cout_ * Cin_; }
  static constexpr int64_t kSlack = 32;
  static constexpr int64_t kRunRows = 128;
  // part += dh^T x over n rows (part cleared first when `first`); dh and x have kSlack floats
  // readable after their last row. On AVX-512 the microkernel also fetches next0 and next1
  // into L2 meanwhile (what the caller reads next: it then finds them there instead of waiting
  // on memory).
  void add(int64_t n, const float* dh, const float* x, float* part, bool first,
           FetchStream next0 = {}, FetchStream next1 = {}) const {
    if (!useGrid_) {
      sgemmThreads(1, true, false, Cout_, Cin_, n, 1.0f, dh, Cout_, x, Cin_, first ? 0.0f : 1.0f,
                   part, Cin_);
      return;
    }
    if (first) std::fill(part, part + partFloats(), 0.0f);
    // Runs of kRunRows rows: a tile's slices of both operands stay in L1 while the tiles of
    // the other operand's slices pass over them (whole chunks measured up to 25% slower).
    for (int64_t k0 = 0; k0 < n; k0 += kRunRows) {
      const int64_t kc = std::min(kRunRows, n - k0);
      const float* h = dh + k0 * Cout_;
      const float* v = x + k0 * Cin_;
      if (transposed_)
        weightsGridChunkFetching(grid_, kc, v, Cin_, h, Cout_, part, &next0, &next1);
      else
        weightsGridChunkFetching(grid_, kc, h, Cout_, v, Cin_, part, &next0, &next1);
    }
  }
  // dw = the sum of the touched threads' partials (part t at parts + t * partFloats()), zero
  // when none was touched.
  void reduceAll(const float* parts, const std::vector<char>& touched, float* dw) const {
    bool written = false;
    for (size_t t = 0; t < touched.size(); ++t) {
      if (!touched[t]) continue;
      reduce(parts + static_cast<int64_t>(t) * partFloats(), dw, written);
      written = true;
    }
    if (!written) std::fill(dw, dw + Cout_ * Cin_, 0.0f);
  }

 private:
  // dw[co][ci] (+)= the partial's entry.
  void reduce(const float* part, float* dw, bool add) const {
    const int64_t ld = useGrid_ ? grid_.cPad : Cin_;
    for (int64_t co = 0; co < Cout_; ++co)
      for (int64_t ci = 0; ci < Cin_; ++ci) {
        const float v = useGrid_ && transposed_ ? part[ci * ld + co] : part[co * ld + ci];
        dw[co * Cin_ + ci] = add ? dw[co * Cin_ + ci] + v : v;
      }
  }

  int64_t Cout_, Cin_;
  bool useGrid_ = false, transposed_ = false;
  WeightsGrid grid_;
};

}  // namespace convkit
