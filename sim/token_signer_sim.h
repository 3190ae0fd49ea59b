// Simulated JWT signing (the RS256 web-identity token signed before every STS exchange,
// proxy-semantics.md "The mint").
#ifndef CREDSIM_SIM_TOKEN_SIGNER_SIM_H_
#define CREDSIM_SIM_TOKEN_SIGNER_SIM_H_

#include "sim/distribution.h"
#include "sim/random.h"
#include "sim/run_metrics.h"
#include "sim/task.h"
#include "strategies/ports.h"

namespace credsim {

// TokenSignerSim: SignJwt draws one CPU time from `cpu` (seconds; StsConfig::signing_cpu,
// default uniform 2-10 ms), waits that long on `clock`, and, if the signing starts inside the
// measurement window, adds it to metrics.worker_cpu_ms and counts metrics.jwt_signatures.
// Exactly one Rng draw per signature. clock and metrics must outlive the signer.
class TokenSignerSim final : public TokenSigner {
 public:
  TokenSignerSim(const Distribution& cpu, Executor& clock, RunMetrics& metrics, Rng rng);

  Task<void> SignJwt(CredentialKey key) override;

 private:
  Distribution cpu_;
  Executor& clock_;
  RunMetrics& metrics_;
  Rng rng_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_TOKEN_SIGNER_SIM_H_
