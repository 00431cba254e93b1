// Dropout kernels for the avx2 path: the common body compiled with this TU's flags.
#include <cstdint>

#include "../dropout_ukernels.h"

namespace convkit::isa::avx2 {
using convkit::isa::dropout_bits;
#include "../common/dropout_impl.h"
}  // namespace convkit::isa::avx2
