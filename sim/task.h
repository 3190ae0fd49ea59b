// Coroutine runtime used by strategies and simulated adapters.
//
// `Task<T>` is a lazily started coroutine returning T. Awaiting it starts it and resumes the
// awaiter when it finishes (symmetric transfer, so chains do not grow the stack). Exceptions
// propagate to the awaiter. Frames come from a size-class free-list pool (FramePool), so a
// steady-state simulation does not touch the heap for coroutine frames.
//
// Cancellation: a root task is started with `Spawn(task, &flag)`. Every task awaited inside it
// inherits a pointer to `flag`. When an awaitable built with `ResumeOn` resumes and the flag is
// set, it throws `RequestCancelled` instead of returning, unwinding the request the way the
// Workers runtime abandons a cancelled request's JavaScript. Work spawned as its own root
// (e.g. a Durable Object's fetch) is not affected by the request's flag.
//
// `Executor` is the only thing awaitables need from the world: the current time and a way to
// resume a coroutine at a later simulated time.
#ifndef CREDSIM_SIM_TASK_H_
#define CREDSIM_SIM_TASK_H_

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "sim/time.h"

namespace credsim {

// Thrown out of an awaitable when the request that owns the coroutine chain was cancelled.
struct RequestCancelled : std::exception {
  const char* what() const noexcept override { return "request cancelled"; }
};

// Size-class free lists for coroutine frames (thread-local; frames never cross threads).
void* AllocateFrame(std::size_t size);
void FreeFrame(void* p, std::size_t size) noexcept;
// Number of frame blocks ever obtained from the heap (for tests and benchmarks).
std::size_t FramePoolHeapAllocations();

// Resumes coroutines at simulated instants. Implemented by the simulation world (over the
// event queue) and by test fakes.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual Time Now() const = 0;
  // Resumes `h` at Now() + d (d >= 0). Same-time resumptions run in FIFO order.
  virtual void ResumeAfter(Duration d, std::coroutine_handle<> h) = 0;
};

namespace internal {

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;
  const bool* cancelled = nullptr;

  static void* operator new(std::size_t n) { return AllocateFrame(n); }
  static void operator delete(void* p, std::size_t n) noexcept { FreeFrame(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  template <typename U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
};
template <>
struct Promise<void> : PromiseBase {
  void return_void() noexcept {}
};

}  // namespace internal

template <typename T = void>
class [[nodiscard]] Task {
 public:
  struct promise_type : internal::Promise<T> {
    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  struct Awaiter {
    Handle child;
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      child.promise().continuation = parent;
      child.promise().cancelled = parent.promise().cancelled;
      return child;
    }
    T await_resume() {
      auto& p = child.promise();
      if (p.exception) std::rethrow_exception(p.exception);
      if constexpr (!std::is_void_v<T>) return std::move(*p.value);
    }
  };
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }

  Handle release() { return std::exchange(h_, {}); }

 private:
  Handle h_;
};

namespace internal {
struct DetachedTask {
  struct promise_type : PromiseBase {
    DetachedTask get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};
DetachedTask RunDetached(Task<void> t);
}  // namespace internal

// Starts `t` now as a root coroutine that frees itself when done. If `cancelled` is given,
// the chain observes it (see the file comment); it must outlive the chain. An exception that
// escapes `t` (other than through the caller's own handling) terminates: wrap bodies that can
// fail.
void Spawn(Task<void> t, const bool* cancelled = nullptr);

// Awaitable that resumes the awaiting coroutine after `d` on `ex`, throwing RequestCancelled
// if the chain was cancelled meanwhile. The building block of every simulated I/O.
struct ResumeOn {
  Executor& ex;
  Duration d;
  const bool* cancelled = nullptr;
  bool await_ready() noexcept { return false; }
  template <typename P>
  void await_suspend(std::coroutine_handle<P> h) {
    cancelled = h.promise().cancelled;
    ex.ResumeAfter(d, h);
  }
  void await_resume() const {
    if (cancelled && *cancelled) throw RequestCancelled();
  }
};
inline ResumeOn Sleep(Executor& ex, Duration d) { return ResumeOn{ex, d}; }

// Awaitable that returns the current chain's cancellation flag without suspending.
struct CurrentCancelFlag {
  const bool* flag = nullptr;
  bool await_ready() noexcept { return false; }
  template <typename P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    flag = h.promise().cancelled;
    return false;
  }
  const bool* await_resume() noexcept { return flag; }
};

// A one-shot value that many coroutines can await (an in-flight fetch that others join).
// Waiters are an intrusive list living in the waiters' own frames: no allocation. Set()
// resumes every waiter through the executor at the current time, in arrival order.
template <typename T>
class SharedResult {
 public:
  explicit SharedResult(Executor& ex) : ex_(ex) {}
  SharedResult(const SharedResult&) = delete;
  SharedResult& operator=(const SharedResult&) = delete;

  bool ready() const { return value_.has_value(); }
  const T& value() const { return *value_; }
  size_t waiters() const { return waiters_; }

  void Set(T v) {
    value_.emplace(std::move(v));
    for (Node* n = head_; n != nullptr;) {
      Node* next = n->next;
      n->result.emplace(*value_);
      ex_.ResumeAfter(Duration(), n->h);
      n = next;
    }
    head_ = tail_ = nullptr;
    waiters_ = 0;
  }

  struct Node {
    SharedResult* owner;
    std::coroutine_handle<> h;
    Node* next = nullptr;
    const bool* cancelled = nullptr;
    std::optional<T> result;
    bool await_ready() noexcept {
      if (!owner->ready()) return false;
      result.emplace(owner->value());
      return true;
    }
    template <typename P>
    void await_suspend(std::coroutine_handle<P> hh) noexcept {
      h = hh;
      cancelled = hh.promise().cancelled;
      if (owner->tail_) owner->tail_->next = this; else owner->head_ = this;
      owner->tail_ = this;
      ++owner->waiters_;
    }
    // The value was copied into the node by Set(), so the SharedResult may already be gone.
    T await_resume() {
      if (cancelled && *cancelled) throw RequestCancelled();
      return std::move(*result);
    }
  };
  Node Wait() { return Node{this}; }

 private:
  Executor& ex_;
  std::optional<T> value_;
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  size_t waiters_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_TASK_H_
