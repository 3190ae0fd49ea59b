#include "sim/engine/task.h"

#include <array>
#include <cstdlib>
#include <exception>
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

void Executor::Link(internal::RootNode* n) noexcept {
  n->owner = this;
  n->prev = nullptr;
  n->next = roots_;
  if (roots_) roots_->prev = n;
  roots_ = n;
  ++live_roots_;
}

void Executor::Unlink(internal::RootNode* n) noexcept {
  if (n->prev) n->prev->next = n->next; else roots_ = n->next;
  if (n->next) n->next->prev = n->prev;
  n->prev = n->next = nullptr;
  n->owner = nullptr;
  --live_roots_;
}

void Executor::DestroyRoots() noexcept {
  // Most recently bound first. Frames only hold pointers into each other, and waiter nodes
  // and Tasks need nothing from the frames they point to when destroyed, so any order is
  // safe; this one is merely deterministic.
  while (internal::RootNode* n = roots_) {
    Unlink(n);
    n->handle.destroy();  // destroys the awaited chain too (each Task owns its child)
  }
}

void Executor::OnRootFailure(std::exception_ptr e) noexcept {
  if (failed_) return;
  failed_ = true;
  failure_ = e;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    failure_message_ = ex.what();
  } catch (...) {
    failure_message_ = "unknown exception";
  }
}

namespace {
void StartRoot(Executor* ex, Task<void> t, const bool* cancelled) {
  internal::DetachedTask d = internal::RunDetached(std::move(t));
  internal::DetachedTask::promise_type& p = d.h.promise();
  p.cancelled = cancelled;
  if (ex) p.node.BindTo(*ex);
  bool finished = false;
  p.node.finished_in_spawn = &finished;
  d.h.resume();
  if (!finished) {
    p.node.finished_in_spawn = nullptr;  // suspended: it frees itself when done
    return;
  }
  // Finished before its first suspension; the final awaiter left the frame to us.
  std::exception_ptr e = std::move(p.exception);
  d.h.destroy();
  if (!e) return;
  if (ex) {
    ex->OnRootFailure(std::move(e));
  } else {
    std::rethrow_exception(e);
  }
}
}  // namespace

void Spawn(Task<void> t, const bool* cancelled) { StartRoot(nullptr, std::move(t), cancelled); }

void Spawn(Executor& ex, Task<void> t, const bool* cancelled) {
  StartRoot(&ex, std::move(t), cancelled);
}

}  // namespace credsim
