#include "dispatch.h"

#include <atomic>

namespace convkit {

namespace {
std::atomic<int> active{-1};
}

Isa activeIsa() {
  int value = active.load(std::memory_order_relaxed);
  if (value < 0) {
    value = static_cast<int>(bestIsa());
    active.store(value, std::memory_order_relaxed);
  }
  return static_cast<Isa>(value);
}

bool setActiveIsa(Isa isa) {
  if (!isaSupported(isa)) return false;
  active.store(static_cast<int>(isa), std::memory_order_relaxed);
  return true;
}

}  // namespace convkit
