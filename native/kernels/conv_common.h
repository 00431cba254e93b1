// Internal to the convolution sources (conv.cc, conv_implicit.cc): the geometry of a call and
// small helpers they share.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "conv.h"

namespace convkit {

inline bool convVerbose() {
  static const bool on = [] {
    const char* v = std::getenv("CONVKIT_VERBOSE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return on;
}

struct Geometry {
  int64_t OH, OW, M, cig, cog, Kg, Ktot;
};

inline Geometry geometry(const Conv2dParams& p) {
  Geometry g;
  g.OH = p.outH();
  g.OW = p.outW();
  g.M = p.N * g.OH * g.OW;
  g.cig = p.Cin / p.groups;
  g.cog = p.Cout / p.groups;
  g.Kg = p.KH * p.KW * g.cig;
  g.Ktot = g.Kg * p.groups;
  return g;
}

inline bool isPointwise(const Conv2dParams& p) {
  return p.KH == 1 && p.KW == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
         p.padBottom == 0 && p.padLeft == 0 && p.padRight == 0;
}

// Short copies inline: these runs are a few dozen floats, where a memcpy call costs more
// than the copy. Written as fixed-size moves because GCC turns a plain element loop back into a
// memmove / memset call (28% of a stem convolution's forward went to memmove for 9-float runs).
inline void copyFloats(float* __restrict d, const float* __restrict s, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) __builtin_memcpy(d + i, s + i, 8 * sizeof(float));
  if (n - i >= 4) {
    __builtin_memcpy(d + i, s + i, 4 * sizeof(float));
    i += 4;
  }
  if (n - i >= 2) {
    __builtin_memcpy(d + i, s + i, 2 * sizeof(float));
    i += 2;
  }
  if (n - i >= 1) d[i] = s[i];
}
inline void zeroFloats(float* d, int64_t n) {
  static constexpr float kZeros[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) __builtin_memcpy(d + i, kZeros, 8 * sizeof(float));
  for (; i < n; ++i) d[i] = 0.0f;
}

}  // namespace convkit
