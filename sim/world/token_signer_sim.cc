#include "sim/world/token_signer_sim.h"

#include <algorithm>

namespace credsim {

TokenSignerSim::TokenSignerSim(const Distribution& cpu, Executor& clock, RunMetrics& metrics,
                               Rng rng)
    : cpu_(cpu), clock_(clock), metrics_(metrics), rng_(rng) {}

Duration TokenSignerSim::DrawCpu() {
  // Clamp to [0, 1 h]: a signature is milliseconds; the cap only guards absurd scenarios.
  const Duration cpu = Duration::FromSecondsF(std::clamp(cpu_.Sample(rng_), 0.0, 3600.0));
  if (metrics_.Measuring(clock_.Now())) {
    metrics_.worker_cpu_ms += cpu.millis();
    ++metrics_.jwt_signatures;
  }
  return cpu;
}

Task<void> TokenSignerSim::SignJwt(CredentialKey key) {
  const Duration cpu = DrawCpu();
  if (cpu > Duration()) co_await Sleep(clock_, cpu);
}

Task<void> SerialTokenSigner::SignJwt(CredentialKey key) {
  const Duration cpu = source_.DrawCpu();
  Executor& clock = source_.clock();
  const Time now = clock.Now();
  busy_until_ = std::max(now, busy_until_) + cpu;
  if (busy_until_ > now) co_await Sleep(clock, busy_until_ - now);
}

}  // namespace credsim
