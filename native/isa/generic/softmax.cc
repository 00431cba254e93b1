// Softmax / cross-entropy row kernels for the generic path: the common body compiled with this
// TU's flags.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../softmax_ukernels.h"

// exp_ps selects between computed values (clamps, underflow to 0, NaN): with trapping math
// GCC will not if-convert those selects without AVX-512 masks and leaves the loops scalar.
// (-fno-math-errno is restated: the pragma would otherwise drop it.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace convkit::isa::generic {
#include "../common/softmax_impl.h"
}  // namespace convkit::isa::generic
