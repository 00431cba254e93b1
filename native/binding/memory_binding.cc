// Tensor storage: pooled, 64-byte aligned native memory handed to JS as an external
// ArrayBuffer (no copy), with a V8-owned fallback where external buffers are forbidden.
// dispose() detaches the buffer before returning memory to the pool, so a stale
// Float32Array reads as empty and native calls reject it: nothing can read freed memory.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <limits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "../runtime/memory.h"
#include "args.h"
#include "registry.h"

namespace convkit::binding {

namespace {

// Native blocks by data pointer; an entry exists while its memory is live.
std::mutex blocksMutex;
// Each allocation gets an id, passed to its GC finalizer: after dispose() frees a block, the
// pool may hand the same address to a new tensor before the old buffer's finalizer runs, and
// that finalizer must not free the new owner's memory.
struct LiveBlock {
  size_t bytes;
  uint64_t id;
};
std::unordered_map<void*, LiveBlock> liveBlocks;
uint64_t nextBlockId = 1;
// External memory and V8's garbage collector. V8 counts every ArrayBuffer's bytes as external
// memory (subtracting them on detach or when the buffer is collected) and starts a major GC
// whenever that count has grown ~64 MB since the last one. A training step allocates and frees
// hundreds of MB of tensors, nearly all disposed explicitly, so V8's count alone made it run
// ~14 mark-compacts per ResNet-20 step, its concurrent marker taking a core from the kernels.
// So we cancel V8's per-buffer count (at creation, at detach and, for collected buffers, in
// the finalizer) and report our own: the high-water mark of live tensor bytes, raised by half
// again when live bytes pass it, lowered only by trimPool (a step frees nearly everything at its
// end and climbs back during the next one: following that would start GCs again). Only
// sustained growth (undisposed tensors, which only GC can free) then triggers collections.
std::atomic<int64_t> liveExternalBytes{0};  // changed from finalizers too
// Bytes of collected buffers that V8 subtracted and we have not yet added back.
std::atomic<int64_t> collectedBytes{0};
int64_t reportedBytes = 0;                   // JS thread only

void syncExternalMemory(Napi::Env env, int64_t cancel, bool lower = false) {
  cancel += collectedBytes.exchange(0);
  const int64_t live = liveExternalBytes.load();
  int64_t target = reportedBytes;
  if (live > reportedBytes || lower) target = live + live / 2;
  const int64_t change = cancel + (target - reportedBytes);
  reportedBytes = target;
  if (change) Napi::MemoryManagement::AdjustExternalMemory(env, change);
}

// Frees `ptr` once: whichever of dispose() and the GC finalizer comes first.
// Frees `ptr` if it is still the allocation `id` (0: whichever allocation lives there now).
bool releaseBlock(void* ptr, uint64_t id) {
  size_t bytes;
  {
    std::lock_guard<std::mutex> lock(blocksMutex);
    auto it = liveBlocks.find(ptr);
    if (it == liveBlocks.end() || (id != 0 && it->second.id != id)) return false;
    bytes = it->second.bytes;
    liveBlocks.erase(it);
  }
  poolFree(ptr, bytes);
  liveExternalBytes.fetch_sub(static_cast<int64_t>(bytes));
  return true;
}

void finalizeExternal(napi_env, void* data, void* hint) {
  // Collected without dispose(): V8 has subtracted the buffer's bytes; add them back later.
  const uint64_t id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(hint));
  size_t bytes = 0;
  {
    std::lock_guard<std::mutex> lock(blocksMutex);
    auto it = liveBlocks.find(data);
    if (it != liveBlocks.end() && it->second.id == id) bytes = it->second.bytes;
  }
  if (releaseBlock(data, id)) collectedBytes.fetch_add(static_cast<int64_t>(bytes));
}

// With CONVKIT_POISON=1, uninitialised allocations are filled with NaN so that a kernel that
// fails to write part of its output shows up in the tests instead of returning stale values.
bool poisonUninitialised() {
  static const bool poison = [] {
    const char* v = std::getenv("CONVKIT_POISON");
    return v && *v && *v != '0';
  }();
  return poison;
}

// allocFloats(length, zeroFill = true) -> Float32Array of `length` floats. Without zeroFill
// the contents are unspecified (kernel outputs that are overwritten anyway skip a pass).
Napi::Value AllocFloats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireArgs(info, "alloc", 1);
  const int64_t length = getIntIn(info, 0, "alloc", "length", 0, int64_t(1) << 40);
  const bool zeroFill = info.Length() < 2 || getBool(info, 1, "alloc", "zeroFill");
  const size_t bytes = static_cast<size_t>(length) * sizeof(float);
  void* ptr = nullptr;
  try {
    ptr = poolAlloc(bytes);
  } catch (const std::bad_alloc&) {
    throwRangeError(env, "alloc", "out of memory allocating " + std::to_string(bytes) + " bytes");
  }
  if (zeroFill) {
    std::memset(ptr, 0, bytes);
  } else if (poisonUninitialised()) {
    std::fill_n(static_cast<float*>(ptr), length, std::numeric_limits<float>::quiet_NaN());
  }
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(blocksMutex);
    id = nextBlockId++;
    liveBlocks[ptr] = {bytes, id};
  }
  liveExternalBytes.fetch_add(static_cast<int64_t>(bytes));
  napi_value buffer;
  napi_status status =
      napi_create_external_arraybuffer(env, ptr, bytes, finalizeExternal,
                                       reinterpret_cast<void*>(static_cast<uintptr_t>(id)), &buffer);
  if (status != napi_ok) {
    // Runtimes that forbid external buffers (napi_no_external_buffers_allowed): V8 owns it.
    releaseBlock(ptr, id);
    auto owned = Napi::ArrayBuffer::New(env, bytes);
    return Napi::Float32Array::New(env, static_cast<size_t>(length), owned, 0);
  }
  syncExternalMemory(env, -static_cast<int64_t>(bytes));  // cancel V8's own count of it
  return Napi::Float32Array::New(env, static_cast<size_t>(length),
                                 Napi::ArrayBuffer(env, buffer), 0);
}

// disposeFloats(array): frees the storage now and detaches the buffer.
Napi::Value DisposeFloats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireArgs(info, "dispose", 1);
  Napi::Value v = info[0];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwTypeError(env, "dispose", "expected a Float32Array");
  Napi::ArrayBuffer buffer = v.As<Napi::Float32Array>().ArrayBuffer();
  if (buffer.IsDetached()) return env.Undefined();
  void* ptr = buffer.Data();
  // Detach first: from here on JS sees an empty buffer, then the memory goes back.
  const size_t bytes = buffer.ByteLength();
  buffer.Detach();
  // V8 subtracted the bytes on detach: add them back (its count of them was cancelled).
  syncExternalMemory(env, releaseBlock(ptr, 0) ? static_cast<int64_t>(bytes) : 0);
  return env.Undefined();
}

Napi::Value MemoryStatsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  syncExternalMemory(env, 0);
  const MemoryStats s = memoryStats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("liveBytes", static_cast<double>(s.liveBytes));
  out.Set("pooledBytes", static_cast<double>(s.pooledBytes));
  out.Set("peakBytes", static_cast<double>(s.peakBytes));
  out.Set("allocations", static_cast<double>(s.allocations));
  out.Set("poolHits", static_cast<double>(s.poolHits));
  return out;
}

Napi::Value TrimPool(const Napi::CallbackInfo& info) {
  poolTrim();
  syncExternalMemory(info.Env(), 0, true);
  return info.Env().Undefined();
}

Napi::Value ResetPeak(const Napi::CallbackInfo& info) {
  resetPeak();
  return info.Env().Undefined();
}

}  // namespace

void registerMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("allocFloats", Napi::Function::New(env, AllocFloats, "allocFloats"));
  exports.Set("disposeFloats", Napi::Function::New(env, DisposeFloats, "disposeFloats"));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStatsJs, "memoryStats"));
  exports.Set("trimPool", Napi::Function::New(env, TrimPool, "trimPool"));
  exports.Set("resetPeak", Napi::Function::New(env, ResetPeak, "resetPeak"));
}

}  // namespace convkit::binding
