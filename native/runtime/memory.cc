#include "memory.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

namespace convkit {

namespace {

// Blocks are kept per exact rounded size: training steps allocate the same shapes again and
// again, so exact reuse is the common case and wastes nothing.
constexpr size_t kGranule = 64;
// Pooled memory above this is returned to the system instead of kept.
constexpr uint64_t kMaxPooledBytes = 4ull << 30;

size_t roundUp(size_t bytes) { return (bytes + kGranule - 1) / kGranule * kGranule; }

struct Pool {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free;
  MemoryStats stats{};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: finalizers may run during exit
  return *p;
}

}  // namespace

void* poolAlloc(size_t bytes) {
  const size_t size = roundUp(bytes ? bytes : 1);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.allocations++;
    auto it = p.free.find(size);
    if (it != p.free.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      p.stats.poolHits++;
      p.stats.pooledBytes -= size;
      p.stats.liveBytes += size;
      if (p.stats.liveBytes > p.stats.peakBytes) p.stats.peakBytes = p.stats.liveBytes;
      return ptr;
    }
  }
  void* ptr = std::aligned_alloc(kAlignment, size);
  if (!ptr) {
    poolTrim();
    ptr = std::aligned_alloc(kAlignment, size);
    if (!ptr) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lock(p.mutex);
  p.stats.liveBytes += size;
  if (p.stats.liveBytes > p.stats.peakBytes) p.stats.peakBytes = p.stats.liveBytes;
  return ptr;
}

void poolFree(void* ptr, size_t bytes) {
  if (!ptr) return;
  const size_t size = roundUp(bytes ? bytes : 1);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.liveBytes -= size;
    if (p.stats.pooledBytes + size <= kMaxPooledBytes) {
      p.free[size].push_back(ptr);
      p.stats.pooledBytes += size;
      return;
    }
  }
  std::free(ptr);
}

void poolTrim() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto& entry : p.free)
    for (void* ptr : entry.second) std::free(ptr);
  p.free.clear();
  p.stats.pooledBytes = 0;
}

MemoryStats memoryStats() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return p.stats;
}

void resetPeak() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.stats.peakBytes = p.stats.liveBytes;
}

}  // namespace convkit
