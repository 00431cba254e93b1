// Per-ISA elementwise microkernels (body: native/isa/common/elementwise_impl.h, compiled once
// per ISA in native/isa/<isa>/elementwise.cc). Declarations only: baseline TUs include this.
#pragma once

#include <cstddef>

namespace convkit::isa {

// binary[op][form](n, a, b, out), op as BinaryOp (add, sub, mul, div); form 0: a[i] op b[i],
// 1: a[i] op b[0], 2: a[0] op b[i]. out may alias a or b exactly.
typedef void (*BinaryUkernel)(size_t n, const float* a, const float* b, float* out);
struct ElementwiseUkernels {
  BinaryUkernel binary[4][3];
};

#if defined(__x86_64__) || defined(_M_X64)
ElementwiseUkernels elementwiseUkernels__avx512();
ElementwiseUkernels elementwiseUkernels__avx2();
#endif
ElementwiseUkernels elementwiseUkernels__generic();

}  // namespace convkit::isa
