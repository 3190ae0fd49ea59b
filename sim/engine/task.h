// Coroutine runtime used by strategies and simulated adapters.
//
// `Task<T>` is a lazily started coroutine returning T. Awaiting it starts it and resumes the
// awaiter when it finishes (symmetric transfer, so chains do not grow the stack). Exceptions
// propagate to the awaiter. Frames come from a size-class free-list pool (FramePool), so a
// steady-state simulation does not touch the heap for coroutine frames.
//
// Parameters: a Task starts only when awaited (or spawned), so a coroutine must not take a
// reference to an argument that may die before then. Small values (keys, credentials,
// requests, durations) are taken by value; references are kept only to long-lived objects
// (executor, ports, namespaces) that outlive every coroutine using them.
//
// Cancellation: a root task is started with `Spawn(task, &flag)`. Every task awaited inside it
// inherits a pointer to `flag`. When an awaitable built with `ResumeOn` resumes and the flag is
// set, it throws `RequestCancelled` instead of returning, unwinding the request the way the
// Workers runtime abandons a cancelled request's JavaScript. Work spawned as its own root
// (e.g. a Durable Object's fetch) is not affected by the request's flag.
//
// Roots, failures and teardown (the contract):
//  - Every root started by `Spawn` is owned by an Executor once it is bound to one: at once
//    with `Spawn(executor, task)`, otherwise at its first suspension on one of this file's
//    awaitables (ResumeOn/Sleep, SharedResult::Wait) or on a DurableObjectInputGate, which
//    all know their executor. Each root carries an intrusive list node in its own frame: no
//    allocation per spawn.
//  - An exception escaping a bound root is reported to its executor (`OnRootFailure`): the
//    executor keeps the first one (`failed()`, `failure_message()`); SimExecutor also stops
//    its EventQueue's RunUntil/RunAll so the run ends. An exception escaping an unbound root
//    before its first suspension propagates out of `Spawn` to the caller, like a plain call.
//    A root suspended on a foreign awaitable is unowned: its failure terminates.
//  - `Executor::DestroyRoots()` destroys every root still suspended (and with it the whole
//    chain it awaits), without resuming anything. Owners call it at teardown while the
//    objects those frames point to are still alive (World's destructor does; SimExecutor's
//    destructor does as a backstop). Destroying a suspended frame runs its locals'
//    destructors only: SharedResult/gate waiter nodes and Tasks are safe to destroy in any
//    order; any other local must not resume or schedule anything from its destructor.
//
// `Executor` is the only thing awaitables need from the world: the current time and a way to
// resume a coroutine at a later simulated time.
#ifndef CREDSIM_SIM_ENGINE_TASK_H_
#define CREDSIM_SIM_ENGINE_TASK_H_

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "sim/engine/time.h"

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

class Executor;

namespace internal {
// The intrusive list node of one root coroutine; it lives in the root's promise.
struct RootNode {
  RootNode* prev = nullptr;
  RootNode* next = nullptr;
  Executor* owner = nullptr;
  std::coroutine_handle<> handle;
  bool* finished_in_spawn = nullptr;  // non-null while Spawn() runs the root synchronously
  void BindTo(Executor& ex) noexcept;  // no-op if already bound
};
}  // namespace internal

// Resumes coroutines at simulated instants. Implemented by the simulation world (over the
// event queue) and by test fakes. Also owns the root coroutines bound to it (see the file
// comment): their failures and their destruction at teardown.
class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  // Destroys the roots still bound (derived classes should call DestroyRoots() earlier, while
  // what the frames reference is alive).
  virtual ~Executor() { DestroyRoots(); }
  virtual Time Now() const = 0;
  // Resumes `h` at Now() + d (d >= 0). Same-time resumptions run in FIFO order.
  virtual void ResumeAfter(Duration d, std::coroutine_handle<> h) = 0;

  // Called with the exception that escaped a bound root. The default keeps the first
  // failure; overrides should call it.
  virtual void OnRootFailure(std::exception_ptr e) noexcept;
  bool failed() const { return failed_; }
  // what() of the first failure ("unknown exception" if it was not a std::exception).
  const std::string& failure_message() const { return failure_message_; }
  std::exception_ptr failure() const { return failure_; }

  // Destroys every bound root that has not finished, without resuming it. Idempotent.
  void DestroyRoots() noexcept;
  size_t live_roots() const { return live_roots_; }

 private:
  friend struct internal::RootNode;
  void Link(internal::RootNode* n) noexcept;
  void Unlink(internal::RootNode* n) noexcept;

  internal::RootNode* roots_ = nullptr;
  size_t live_roots_ = 0;
  bool failed_ = false;
  std::string failure_message_;
  std::exception_ptr failure_;

 public:
  // For the runtime only (internal::DetachedTask).
  static void UnlinkRoot(internal::RootNode* n) noexcept {
    if (n->owner) n->owner->Unlink(n);
  }
};

inline void internal::RootNode::BindTo(Executor& ex) noexcept {
  if (owner == nullptr) ex.Link(this);
}

namespace internal {

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;
  const bool* cancelled = nullptr;
  RootNode* root = nullptr;  // the root this frame runs under (null: not under Spawn)

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
      child.promise().root = parent.promise().root;
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
    RootNode node;
    DetachedTask get_return_object() {
      auto h = std::coroutine_handle<promise_type>::from_promise(*this);
      node.handle = h;
      root = &node;
      return {h};
    }
    // Unlinks the root; then either hands the frame back to a synchronously running Spawn()
    // (which rethrows a failure) or reports a failure to the owner and frees the frame.
    struct FinalAwaiter {
      bool await_ready() noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        promise_type& p = h.promise();
        Executor* owner = p.node.owner;
        Executor::UnlinkRoot(&p.node);
        if (p.node.finished_in_spawn != nullptr) {
          *p.node.finished_in_spawn = true;  // Spawn() destroys the frame
          return;
        }
        std::exception_ptr e = std::move(p.exception);
        h.destroy();
        if (e) {
          if (owner == nullptr) std::terminate();  // unowned root: nobody to report to
          owner->OnRootFailure(std::move(e));
        }
      }
      void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
  };
  std::coroutine_handle<promise_type> h;
};
DetachedTask RunDetached(Task<void> t);

// Binds the root of the coroutine `h` (if any) to `ex`.
template <typename P>
void BindRoot(std::coroutine_handle<P> h, Executor& ex) noexcept {
  if (RootNode* r = h.promise().root) r->BindTo(ex);
}
}  // namespace internal

// Starts `t` now as a root coroutine that frees itself when done. If `cancelled` is given,
// the chain observes it (see the file comment); it must outlive the chain. The root is bound
// to the executor of its first suspension; an exception escaping it before that propagates
// out of Spawn, later ones go to that executor's OnRootFailure.
void Spawn(Task<void> t, const bool* cancelled = nullptr);
// Same, bound to `ex` from the start: every failure goes to ex.OnRootFailure.
void Spawn(Executor& ex, Task<void> t, const bool* cancelled = nullptr);

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
    internal::BindRoot(h, ex);
    ex.ResumeAfter(d, h);
  }
  void await_resume() const {
    if (cancelled && *cancelled) throw RequestCancelled();
  }
};
inline ResumeOn Sleep(Executor& ex, Duration d) { return ResumeOn{ex, d}; }

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
    SharedResult* owner = nullptr;
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
      internal::BindRoot(hh, owner->ex_);
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
  Node Wait() {
    Node n;
    n.owner = this;
    return n;
  }

 private:
  Executor& ex_;
  std::optional<T> value_;
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  size_t waiters_ = 0;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_TASK_H_
