// Few-input-channel direct convolution, avx2 path (32-byte vectors, strips of 4 pixels); body
// in ../common/conv_stem_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../conv_stem_ukernels.h"

namespace convkit::isa {
namespace avx2_stem {
constexpr int kVectorBytes = 32;
#include "../common/simd.h"
constexpr int kStrip = 4;
#include "../common/conv_stem_impl.h"
}  // namespace avx2_stem

void conv_stem_forward__avx2(const ConvStemShape* s, const float* xp, const float* wt,
                              const float* bias, float* y, int64_t row0, int64_t row1) {
  avx2_stem::conv_stem_detail::forward(s, xp, wt, bias, y, row0, row1);
}

}  // namespace convkit::isa
