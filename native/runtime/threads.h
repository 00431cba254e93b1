// Thread control for the OpenMP kernels, with a serial fallback where OpenMP is missing.
// Kernels open one coarse parallel region per call:
//   #pragma omp parallel num_threads(convkit::kernelThreads()) if (convkit::kernelThreads() > 1)
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace convkit {

bool openmpEnabled();
int maxThreads();          // hardware threads available
int getNumThreads();       // threads a kernel call may use (setNumThreads / env)
void setNumThreads(int n);  // n >= 1, clamped to maxThreads() * 4

// Threads this kernel call should use: getNumThreads(), or 1 inside a forked child
// (libgomp's pool does not survive fork) or while another kernel call is already running
// in parallel on another JS thread (avoids oversubscription from worker_threads).
int kernelThreads();

// RAII marker around a kernel call so concurrent calls from worker threads run serially.
class KernelCallScope {
 public:
  KernelCallScope();
  ~KernelCallScope();
  KernelCallScope(const KernelCallScope&) = delete;
  KernelCallScope& operator=(const KernelCallScope&) = delete;
};

inline int threadIndex() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

inline int threadCount() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

}  // namespace convkit
