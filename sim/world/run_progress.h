// RunProgress: how far a running World has got, for a progress line drawn by another thread.
//
// The World stores into it every 65,536 arrivals and once at the end of Run() (relaxed
// atomics: a reader sees a recent, not an exact, value). It never feeds back into the
// simulation: no draw and no event depends on it, so results are the same with or without.
#ifndef CREDSIM_SIM_WORLD_RUN_PROGRESS_H_
#define CREDSIM_SIM_WORLD_RUN_PROGRESS_H_

#include <atomic>
#include <cstdint>

namespace credsim {

struct RunProgress {
  std::atomic<int64_t> sim_nanos{0};  // simulated time reached (from t = 0, warm-up included)
  std::atomic<uint64_t> arrivals{0};  // requests arrived so far (warm-up included)
  std::atomic<bool> done{false};      // Run() has returned
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_RUN_PROGRESS_H_
