// Per-ISA reduction microkernels (body: native/isa/common/reduce_impl.h, compiled once per
// ISA in native/isa/<isa>/reduce.cc). Declarations only: baseline TUs include this.
#pragma once

#include <cstddef>

namespace convkit::isa {

struct ReduceUkernels {
  void (*accumulate)(size_t n, const float* in, float* acc);  // acc[i] += in[i]
  float (*sum)(size_t n, const float* in);                     // vector partial sums
  void (*scale)(size_t n, float s, float* x);                  // x[i] *= s
  // acc[c] += sum of a[r * C + c] * b[r * C + c] over rows r < rows, for c < C
  void (*dotRows)(size_t rows, size_t C, const float* a, const float* b, float* acc);
};

#if defined(__x86_64__) || defined(_M_X64)
ReduceUkernels reduceUkernels__avx512();
ReduceUkernels reduceUkernels__avx2();
#endif
ReduceUkernels reduceUkernels__generic();

}  // namespace convkit::isa
