// InlineFunction<N>: a move-only `void()` callable stored inline in N bytes. It never
// allocates; a callable that does not fit is a compile error. The event queue stores one per
// pending event so that scheduling does not touch the heap.
#ifndef CREDSIM_SIM_ENGINE_INLINE_FUNCTION_H_
#define CREDSIM_SIM_ENGINE_INLINE_FUNCTION_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace credsim {

template <std::size_t N>
class InlineFunction {
 public:
  InlineFunction() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFunction>>>
  InlineFunction(F&& f) {  // NOLINT: implicit by design, like std::function.
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= N, "callable too large for InlineFunction");
    static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned callable");
    static_assert(std::is_nothrow_move_constructible_v<Fn>, "callable must be nothrow-movable");
    new (storage_) Fn(std::forward<F>(f));
    ops_ = &OpsFor<Fn>::kOps;
  }
  InlineFunction(InlineFunction&& o) noexcept { MoveFrom(o); }
  InlineFunction& operator=(InlineFunction&& o) noexcept {
    if (this != &o) {
      Reset();
      MoveFrom(o);
    }
    return *this;
  }
  InlineFunction(const InlineFunction&) = delete;
  InlineFunction& operator=(const InlineFunction&) = delete;
  ~InlineFunction() { Reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(storage_); }
  void Reset() {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*call)(void*);
    void (*move)(void* dst, void* src);
    void (*destroy)(void*);
  };
  template <typename Fn>
  struct OpsFor {
    static constexpr Ops kOps = {
        [](void* p) { (*static_cast<Fn*>(p))(); },
        [](void* d, void* s) { new (d) Fn(std::move(*static_cast<Fn*>(s))); static_cast<Fn*>(s)->~Fn(); },
        [](void* p) { static_cast<Fn*>(p)->~Fn(); },
    };
  };
  void MoveFrom(InlineFunction& o) {
    ops_ = o.ops_;
    if (ops_) {
      ops_->move(storage_, o.storage_);
      o.ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) unsigned char storage_[N];
  const Ops* ops_ = nullptr;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_INLINE_FUNCTION_H_
