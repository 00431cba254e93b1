// CPU feature detection and the instruction-set paths convkit can run.
// Baseline translation unit only: nothing here may use ISA-specific code.
#pragma once

namespace convkit {

// Ordered from least to most specialised; a higher value implies the lower ones exist.
enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };

constexpr int kIsaCount = 3;

struct CpuFeatures {
  bool avx2Fma = false;  // AVX2 + FMA3, with OS-enabled YMM state (XGETBV)
  bool avx512 = false;   // AVX-512 F/BW/DQ/VL, with OS-enabled ZMM + opmask state
  bool neon = false;     // arm64 Advanced SIMD
};

// Queried once (CPUID + XGETBV on x86-64); cached afterwards.
const CpuFeatures& cpuFeatures();

bool isaSupported(Isa isa);
Isa bestIsa();
const char* isaName(Isa isa);
// Parses "avx512" | "avx2" | "generic"; returns false for anything else.
bool parseIsa(const char* name, Isa* out);
// Widest float32 vector of the path, in lanes (16, 8, 4).
int isaVectorWidth(Isa isa);

}  // namespace convkit
