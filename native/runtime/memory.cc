#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace convkit {

namespace {

// Free blocks are kept by size class (64-byte steps up to 4 KiB, then eight classes per power
// of two, at most 12.5% over the request), and a request of 64 KiB or more may take a free block
// up to twice its class when its own class has none. Exact-size reuse alone served networks that repeat their
// shapes (ResNet) but not DenseNet, whose concatenations grow by 32 channels per layer: blocks
// freed at one size never served the next, and the pool held the sum of every size's peak,
// RSS 1.9x the live peak (4.5 GB for 2.4 GB, b16 224).
constexpr size_t kGranule = 64;
// Requests from this size on may take a free block of a larger class (up to twice theirs).
constexpr size_t kShareFrom = 64 * 1024;
// Pooled memory above this is returned to the system instead of kept.
constexpr uint64_t kMaxPooledBytes = 4ull << 30;

size_t roundUp(size_t bytes) {
  if (bytes <= 4096) return (bytes + kGranule - 1) / kGranule * kGranule;
  // Keep the top four bits: classes 8/8, 9/8, ..., 15/8 of each power of two.
  const int top = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
  const size_t unit = size_t(1) << (top - 3);
  return (bytes + unit - 1) / unit * unit;
}

struct Pool {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free;  // no empty vectors
  std::unordered_map<void*, size_t> blockSize;  // live blocks: their real size
  MemoryStats stats{};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: finalizers may run during exit
  return *p;
}

// Called with the lock held: a live block of `size` bytes at ptr.
void* track(Pool& p, void* ptr, size_t size) {
  p.blockSize[ptr] = size;
  p.stats.liveBytes += size;
  if (p.stats.liveBytes > p.stats.peakBytes) p.stats.peakBytes = p.stats.liveBytes;
  return ptr;
}

// Blocks of 8 MiB or more (activations at 224x224, batch 16) are 2 MiB aligned, rounded up to
// whole 2 MiB and asked to be backed by transparent huge pages (Linux, THP in "madvise" mode
// here: nothing else gets them). With 4 KiB pages every GEMM row panel, im2col row and
// depthwise window touches pages the TLB no longer holds; with huge pages, training steps
// (2 threads, b16, four alternating runs each) ran ResNeXt-50 1293-1356 -> 1236-1252 ms,
// ResNet-50 1037-1078 -> 1000-1017, DenseNet-121 866-875 -> 788-802; EfficientNet-B0 unchanged.
// Peak RSS grows by the rounding (ResNet-50 +5%). CONVKIT_HUGE_PAGES=0 turns it off.
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kHugePagesFrom = size_t(8) << 20;

bool hugePagesOn() {
  static const bool on = [] {
    const char* v = std::getenv("CONVKIT_HUGE_PAGES");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

void* systemAlloc(size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (size >= kHugePagesFrom && hugePagesOn()) {
    const size_t rounded = (size + kHugePage - 1) / kHugePage * kHugePage;
    void* ptr = std::aligned_alloc(kHugePage, rounded);
    if (ptr) madvise(ptr, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
    return ptr;
  }
#endif
  return std::aligned_alloc(kAlignment, size);
}

}  // namespace

void* poolAlloc(size_t bytes) {
  const size_t size = roundUp(bytes ? bytes : 1);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    p.stats.allocations++;
    // Small requests take their own class only (a larger block would be pure waste there).
    auto it = p.free.lower_bound(size);
    const size_t largest = size >= kShareFrom ? 2 * size : size;
    if (it != p.free.end() && it->first <= largest) {
      const size_t blockBytes = it->first;
      void* ptr = it->second.back();
      it->second.pop_back();
      if (it->second.empty()) p.free.erase(it);
      p.stats.poolHits++;
      p.stats.pooledBytes -= blockBytes;
      return track(p, ptr, blockBytes);
    }
  }
  void* ptr = systemAlloc(size);
  if (!ptr) {
    poolTrim();
    ptr = systemAlloc(size);
    if (!ptr) throw std::bad_alloc();
  }
  std::lock_guard<std::mutex> lock(p.mutex);
  return track(p, ptr, size);
}

void poolFree(void* ptr, size_t bytes) {
  if (!ptr) return;
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    auto it = p.blockSize.find(ptr);
    const size_t size = it != p.blockSize.end() ? it->second : roundUp(bytes ? bytes : 1);
    if (it != p.blockSize.end()) p.blockSize.erase(it);
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
