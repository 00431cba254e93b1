// Softmax / cross-entropy row kernels for the avx2 path: the common body compiled with this
// TU's flags.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../softmax_ukernels.h"

namespace convkit::isa::avx2 {
#include "../common/softmax_impl.h"
}  // namespace convkit::isa::avx2
