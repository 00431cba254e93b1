#include "cpu.h"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define CONVKIT_X86 1
#endif

namespace convkit {

namespace {

#ifdef CONVKIT_X86
// XCR0 tells which register state the OS saves on context switch; CPUID bits alone are
// not enough (a kernel may disable AVX-512 state).
unsigned long long readXcr0() {
  unsigned int eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = (ecx >> 27) & 1;
  const bool fma = (ecx >> 12) & 1;
  const bool avx = (ecx >> 28) & 1;
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = readXcr0();
  const bool ymmState = (xcr0 & 0x6) == 0x6;           // SSE + AVX
  const bool zmmState = (xcr0 & 0xe6) == 0xe6;         // + opmask, ZMM_Hi256, Hi16_ZMM
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  const bool avx2 = (ebx >> 5) & 1;
  const bool avx512f = (ebx >> 16) & 1, avx512dq = (ebx >> 17) & 1;
  const bool avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
  f.avx2Fma = ymmState && avx2 && fma;
  f.avx512 = f.avx2Fma && zmmState && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}
#endif

}  // namespace

const CpuFeatures& cpuFeatures() {
  static const CpuFeatures features = detect();
  return features;
}

bool isaSupported(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return true;
    case Isa::avx2:
      return cpuFeatures().avx2Fma;
    case Isa::avx512:
      return cpuFeatures().avx512;
  }
  return false;
}

Isa bestIsa() {
  if (isaSupported(Isa::avx512)) return Isa::avx512;
  if (isaSupported(Isa::avx2)) return Isa::avx2;
  return Isa::generic;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::generic:
      return "generic";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

bool parseIsa(const char* name, Isa* out) {
  for (int i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (std::strcmp(name, isaName(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

int isaVectorWidth(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return 16;
    case Isa::avx2:
      return 8;
    case Isa::generic:
      return 4;
  }
  return 1;
}

}  // namespace convkit
