// Dropout kernels for the generic path: the common body compiled with this TU's flags.
#include <cstdint>

#include "../dropout_ukernels.h"

namespace convkit::isa::generic {
using convkit::isa::dropout_bits;
#include "../common/dropout_impl.h"
}  // namespace convkit::isa::generic
