// The instruction-set path in use. Chosen once at load (CONVKIT_ISA may force a lower one)
// and switchable from the binding so one test run can exercise every path the CPU has.
// Each kernel family keeps its own ordered candidate list and consults activeIsa() per call.
#pragma once

#include "cpu.h"

namespace convkit {

Isa activeIsa();
// Returns false (and changes nothing) when the CPU lacks the path.
bool setActiveIsa(Isa isa);

}  // namespace convkit
