#include "sim/task.h"

#include <array>
#include <cstdlib>
#include <new>

namespace credsim {
namespace {

// Frames are rounded up to 64-byte classes up to 4 KiB; larger frames use the heap directly.
constexpr std::size_t kClassBytes = 64;
constexpr std::size_t kClasses = 64;

struct FreeBlock {
  FreeBlock* next;
};

struct FramePool {
  std::array<FreeBlock*, kClasses> heads{};
  std::size_t heap_allocations = 0;
  ~FramePool() {
    for (FreeBlock*& h : heads) {
      while (h) {
        FreeBlock* n = h->next;
        ::operator delete(h);
        h = n;
      }
    }
  }
};

FramePool& Pool() {
  thread_local FramePool pool;
  return pool;
}

std::size_t ClassOf(std::size_t size) { return (size + kClassBytes - 1) / kClassBytes; }

}  // namespace

void* AllocateFrame(std::size_t size) {
  const std::size_t c = ClassOf(size);
  FramePool& pool = Pool();
  if (c >= kClasses) {
    ++pool.heap_allocations;
    return ::operator new(size);
  }
  if (FreeBlock* b = pool.heads[c]) {
    pool.heads[c] = b->next;
    return b;
  }
  ++pool.heap_allocations;
  return ::operator new(c * kClassBytes);
}

void FreeFrame(void* p, std::size_t size) noexcept {
  const std::size_t c = ClassOf(size);
  if (c >= kClasses) {
    ::operator delete(p);
    return;
  }
  FramePool& pool = Pool();
  auto* b = static_cast<FreeBlock*>(p);
  b->next = pool.heads[c];
  pool.heads[c] = b;
}

std::size_t FramePoolHeapAllocations() { return Pool().heap_allocations; }

namespace internal {
DetachedTask RunDetached(Task<void> t) { co_await std::move(t); }
}  // namespace internal

void Spawn(Task<void> t, const bool* cancelled) {
  internal::DetachedTask d = internal::RunDetached(std::move(t));
  d.h.promise().cancelled = cancelled;
  d.h.resume();
}

}  // namespace credsim
