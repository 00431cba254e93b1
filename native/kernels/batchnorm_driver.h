// What the batch-norm drivers (batchnorm.cc, batchnorm_excite.cc) share: the active ISA's row
// kernels, how many threads a problem gets, each thread's rows, when outputs stream.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../isa/batchnorm_ukernels.h"
#include "../runtime/dispatch.h"
#include "../runtime/threads.h"

namespace convkit::bn_driver {

#define CONVKIT_BN_KERNEL_TABLE(ISA)                                                         \
  BnKernels {                                                                                \
    isa::f32_bn_stats__##ISA, isa::f32_bn_apply__##ISA, isa::f32_bn_backward_sums__##ISA,   \
        isa::f32_bn_backward_apply__##ISA, isa::f32_bn_activation_sums__##ISA,               \
        isa::f32_bn_apply_scaled__##ISA, isa::f32_bn_excite_backward_sums__##ISA,            \
        isa::f32_bn_excite_backward_apply__##ISA                                             \
  }

struct BnKernels {
  decltype(&isa::f32_bn_stats__generic) stats;
  decltype(&isa::f32_bn_apply__generic) apply;
  decltype(&isa::f32_bn_backward_sums__generic) backwardSums;
  decltype(&isa::f32_bn_backward_apply__generic) backwardApply;
  decltype(&isa::f32_bn_activation_sums__generic) activationSums;
  decltype(&isa::f32_bn_apply_scaled__generic) applyScaled;
  decltype(&isa::f32_bn_excite_backward_sums__generic) exciteBackwardSums;
  decltype(&isa::f32_bn_excite_backward_apply__generic) exciteBackwardApply;
};

inline BnKernels kernelsFor(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return CONVKIT_BN_KERNEL_TABLE(avx512);
    case Isa::avx2:
      return CONVKIT_BN_KERNEL_TABLE(avx2);
    case Isa::generic:
      break;
  }
  return CONVKIT_BN_KERNEL_TABLE(generic);
}

#undef CONVKIT_BN_KERNEL_TABLE

// Small problems run on one thread: waking the second costs more than it saves.
inline int threadsFor(int64_t rows, int64_t C) {
  return rows * C < (int64_t(1) << 15) ? 1 : kernelThreads();
}

struct RowRange {
  int64_t begin, end;
};

// The calling thread's share of [0, count) (rows, or any other work items).
inline RowRange rowsOfThread(int64_t rows) {
  const int64_t count = threadCount(), index = threadIndex();
  const int64_t per = (rows + count - 1) / count;
  const int64_t begin = std::min(rows, index * per);
  return {begin, std::min(rows, begin + per)};
}

// Outputs at least this large are written with non-temporal stores: they cannot stay in the
// caches anyway, and skipping the read-for-ownership leaves the caches to the inputs that
// pass 2 re-reads (walking backwards) — output bytes at copy speed instead of 2x traffic.
inline bool streamOutput(int64_t rows, int64_t C) {
  return rows * C * int64_t(sizeof(float)) >= (int64_t(8) << 20);
}

// Channel c's backward coefficients from the sums of g and g * (x - mean) over `rows` rows:
// dx = a * g + b * (x - mean) + d, and dgamma / dbeta (may be null).
inline void backwardCoefficient(int64_t c, double sumG, double sumGX, int64_t rows,
                                const float* gamma, const float* invstd, bool training,
                                float* a, float* b, float* d, float* dgamma, float* dbeta) {
  const double is = invstd[c];
  const double scaleC = (gamma ? gamma[c] : 1.0) * is;
  a[c] = static_cast<float>(scaleC);
  // dx = scale * (g - sumG/M - xhat * sum(g xhat)/M), xhat = (x - mean) * invstd.
  b[c] = training && rows > 0 ? static_cast<float>(-scaleC * is * is * sumGX / rows) : 0.0f;
  d[c] = training && rows > 0 ? static_cast<float>(-scaleC * sumG / rows) : 0.0f;
  if (dgamma) dgamma[c] = static_cast<float>(sumGX * is);
  if (dbeta) dbeta[c] = static_cast<float>(sumG);
}

}  // namespace convkit::bn_driver
