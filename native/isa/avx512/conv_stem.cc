// Few-input-channel direct convolution, avx512 path (64-byte vectors, strips of 8 pixels); body
// in ../common/conv_stem_impl.h.
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "../conv_stem_ukernels.h"

namespace convkit::isa {
namespace avx512_stem {
constexpr int kVectorBytes = 64;
#include "../common/simd.h"
constexpr int kStrip = 8;
#include "../common/conv_stem_impl.h"
}  // namespace avx512_stem

void conv_stem_forward__avx512(const ConvStemShape* s, const float* xp, const float* wt,
                              const float* bias, float* y, int64_t row0, int64_t row1) {
  avx512_stem::conv_stem_detail::forward(s, xp, wt, bias, y, row0, row1);
}

}  // namespace convkit::isa
