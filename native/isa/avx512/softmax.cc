// Softmax / cross-entropy row kernels for the avx512 path: the common body compiled with this
// TU's flags.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../softmax_ukernels.h"

namespace convkit::isa::avx512 {
#include "../common/softmax_impl.h"
}  // namespace convkit::isa::avx512
