// Dropout kernels for the avx512 path: the common body compiled with this TU's flags.
#include <cstdint>

#include "../dropout_ukernels.h"

// keep ? x * scale : 0 selects between computed values: with trapping math GCC will not
// if-convert it without AVX-512 masks and leaves the loops scalar. (-fno-math-errno is
// restated: the pragma would otherwise drop it.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace convkit::isa::avx512 {
using convkit::isa::dropout_bits;
#include "../common/dropout_impl.h"
}  // namespace convkit::isa::avx512
