// Per-ISA transforms of the Winograd F(4x4, 3x3) convolution (body: native/isa/common/
// winograd_impl.h, compiled once per ISA in native/isa/<isa>/winograd.cc; driver:
// native/kernels/conv_winograd.cc). Declarations only: baseline TUs include this.
//
// Every transform works on C channels at once, vectorised over the channel (NHWC keeps a
// pixel's channels contiguous). A 6x6 "tile" position xi = 6 * a + b; the 36 transformed
// values of a tile are written (or read) as 36 rows of C floats, `ld` floats apart.
//   forward  Y = A^T [ (G g G^T) . (B^T d B) ] A       (d: 6x6 input patch, g: 3x3 kernel)
//   weights dW = G^T [ sum over tiles (B^T d B) . (A e A^T) ] G     (e: 4x4 block of dy)
// with Lavin and Gray's matrices (interpolation points 0, +-1, +-2, infinity).
#pragma once

#include <cstddef>

namespace convkit::isa {

struct WinogradUkernels {
  // v[xi * ldv + c] = (B^T d B)[xi], d[a][b] = px[6 * a + b][c]; px entries point at C floats
  // (a zero row for padding).
  void (*input)(size_t C, const float* const* px, float* v, size_t ldv);
  // e[xi * lde + c] = (A e A^T)[xi], e[a][b] = py[4 * a + b][c] (a zero row outside dy).
  void (*gradOutput)(size_t C, const float* const* py, float* e, size_t lde);
  // out[p][c] = (A^T m A)[p] (p = 4 * a + b) + bias[c] (when not null) + res[p][c] (when res
  // is not null), then the activation (0 none, 1 relu, 2 relu6); m[xi * ldm + c]. Null out[p]
  // entries (outside the output) are skipped.
  void (*output)(size_t C, const float* m, size_t ldm, const float* bias, const float* const* res,
                 int activation, float* const* out);
  // u[xi * ldu + c] = (G g G^T)[xi], g[k * ldg + c] for the 9 taps k = 3 * kh + kw.
  void (*weight)(size_t C, const float* g, size_t ldg, float* u, size_t ldu);
  // dw[k * ldw + c] = (G^T du G)[k] for the 9 taps, du[xi * ldu + c].
  void (*weightGrad)(size_t C, const float* du, size_t ldu, float* dw, size_t ldw);
};

#if defined(__x86_64__) || defined(_M_X64)
WinogradUkernels winogradUkernels__avx512();
WinogradUkernels winogradUkernels__avx2();
#endif
WinogradUkernels winogradUkernels__generic();

}  // namespace convkit::isa
