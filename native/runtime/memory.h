// 64-byte aligned native memory, pooled by size class and reused across training steps.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convkit {

constexpr size_t kAlignment = 64;

// Never returns nullptr: throws std::bad_alloc when the system is out of memory.
void* poolAlloc(size_t bytes);
// `bytes` must be the size passed to poolAlloc. Thread-safe.
void poolFree(void* ptr, size_t bytes);
// Returns every pooled (unused) block to the system.
void poolTrim();

struct MemoryStats {
  uint64_t liveBytes;    // handed out and not yet freed
  uint64_t pooledBytes;  // freed and kept for reuse
  uint64_t peakBytes;    // maximum of liveBytes since start (or resetPeak)
  uint64_t allocations;  // poolAlloc calls
  uint64_t poolHits;     // poolAlloc calls served from the pool
};
MemoryStats memoryStats();
void resetPeak();

// Scratch buffer for kernels (packing panels, im2col rows); freed to the pool on scope exit.
class Scratch {
 public:
  explicit Scratch(size_t bytes) : bytes_(bytes), ptr_(bytes ? poolAlloc(bytes) : nullptr) {}
  ~Scratch() {
    if (ptr_) poolFree(ptr_, bytes_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }

 private:
  size_t bytes_;
  void* ptr_;
};

}  // namespace convkit
