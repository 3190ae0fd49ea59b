#include "sim/token_signer_sim.h"

#include <algorithm>

namespace credsim {

TokenSignerSim::TokenSignerSim(const Distribution& cpu, Executor& clock, RunMetrics& metrics,
                               Rng rng)
    : cpu_(cpu), clock_(clock), metrics_(metrics), rng_(rng) {}

Task<void> TokenSignerSim::SignJwt(CredentialKey key) {
  // Clamp to [0, 1 h]: a signature is milliseconds; the cap only guards absurd scenarios.
  const Duration cpu = Duration::FromSecondsF(std::clamp(cpu_.Sample(rng_), 0.0, 3600.0));
  const Time now = clock_.Now();
  if (metrics_.Measuring(now)) {
    metrics_.worker_cpu_ms += cpu.millis();
    ++metrics_.jwt_signatures;
  }
  if (cpu > Duration()) co_await Sleep(clock_, cpu);
}

}  // namespace credsim
