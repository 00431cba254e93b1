// Fused optimizer updates for the avx2 path: the common body compiled with this TU's flags.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "../optim_ukernels.h"

namespace convkit::isa::avx2 {
using convkit::isa::AdamScalars;
using convkit::isa::SgdScalars;
#include "../common/optim_impl.h"
}  // namespace convkit::isa::avx2
