// The machine's limits, measured in the same run as the kernels they judge:
// FMA throughput per ISA and memory bandwidth (copy and triad).
#pragma once

#include <cstdint>

#include "../runtime/cpu.h"

namespace convkit {

// GFLOP/s of the ISA's FMA loop on `threads` threads (each runs the loop independently),
// best of `repeats` timed runs of about `seconds` each.
double measureFmaPeak(Isa isa, int threads, double seconds);

enum class BandwidthKind { copy, triad };
// GB/s counting the bytes the loop must move (copy: 2 x bytes, triad: 3 x bytes),
// over arrays of `bytes` each (choose far above the last-level cache).
double measureBandwidth(BandwidthKind kind, int64_t bytes, int threads, int repeats);

}  // namespace convkit
