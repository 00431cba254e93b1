#include "threads.h"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace convkit {

namespace {

int hardwareThreads() {
#ifdef _OPENMP
  return std::max(1, omp_get_num_procs());
#else
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
#endif
}

int envThreads(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return 0;
  char* end = nullptr;
  long n = std::strtol(value, &end, 10);
  return (end && *end == '\0' && n >= 1 && n <= 4096) ? static_cast<int>(n) : 0;
}

int initialThreads() {
  if (int n = envThreads("CONVKIT_NUM_THREADS")) return n;
  if (int n = envThreads("OMP_NUM_THREADS")) return n;
  return hardwareThreads();
}

std::atomic<int> requested{0};
std::atomic<int> callsInFlight{0};
std::atomic<bool> inForkedChild{false};

void markForkedChild() { inForkedChild.store(true); }

struct ForkGuard {
  ForkGuard() { pthread_atfork(nullptr, nullptr, markForkedChild); }
};
ForkGuard forkGuard;

}  // namespace

bool openmpEnabled() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

int maxThreads() { return hardwareThreads(); }

int getNumThreads() {
  int n = requested.load(std::memory_order_relaxed);
  if (n == 0) {
    n = initialThreads();
    requested.store(n, std::memory_order_relaxed);
  }
#ifndef _OPENMP
  n = 1;
#endif
  return n;
}

void setNumThreads(int n) {
  n = std::max(1, std::min(n, hardwareThreads() * 4));
  requested.store(n, std::memory_order_relaxed);
}

int kernelThreads() {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
#endif
  if (inForkedChild.load(std::memory_order_relaxed)) return 1;
  if (callsInFlight.load(std::memory_order_relaxed) > 1) return 1;
  return getNumThreads();
}

KernelCallScope::KernelCallScope() { callsInFlight.fetch_add(1, std::memory_order_relaxed); }
KernelCallScope::~KernelCallScope() { callsInFlight.fetch_sub(1, std::memory_order_relaxed); }

}  // namespace convkit
