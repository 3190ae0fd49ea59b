// Simulated JWT signing (the RS256 web-identity token signed before every STS exchange,
// sources.md §S3 "The mint").
#ifndef CREDSIM_SIM_WORLD_TOKEN_SIGNER_SIM_H_
#define CREDSIM_SIM_WORLD_TOKEN_SIGNER_SIM_H_

#include "sim/engine/distribution.h"
#include "sim/engine/random.h"
#include "sim/world/run_metrics.h"
#include "sim/engine/task.h"
#include "sim/engine/time.h"
#include "strategies/ports/ports.h"

namespace credsim {

// TokenSignerSim: the CPU-time source of one colo's signatures, and an unconstrained signer.
//
// DrawCpu() draws one CPU time from `cpu` (seconds; StsConfig::signing_cpu, default uniform
// 2-10 ms, clamped to [0, 1 h]) and, if it is requested inside the measurement window, adds it
// to metrics.worker_cpu_ms and counts metrics.jwt_signatures. Exactly one Rng draw per call.
//
// SignJwt() is DrawCpu() followed by a wait of that long on `clock`: concurrent signatures
// overlap (as if each had its own CPU). The world does not hand this signer to strategy code:
// isolates and Durable Objects are single-threaded and sign through a SerialTokenSigner over
// it. clock and metrics must outlive the signer.
class TokenSignerSim final : public TokenSigner {
 public:
  TokenSignerSim(const Distribution& cpu, Executor& clock, RunMetrics& metrics, Rng rng);

  Task<void> SignJwt(CredentialKey key) override;
  Duration DrawCpu();
  Executor& clock() { return clock_; }

 private:
  Distribution cpu_;
  Executor& clock_;
  RunMetrics& metrics_;
  Rng rng_;
};

// SerialTokenSigner: the signatures of one single-threaded context (an isolate, or a Durable
// Object instance: sources.md §P2 "single-threaded event loop", §P5 "Each object is
// single-threaded"). Signing is synchronous CPU work on that thread, so signatures queue
// behind each other (FIFO by request time): a SignJwt requested at t with CPU time c (drawn
// from `source` at the request, so the source's stream advances once per signature) starts at
// max(t, busy_until), ends at start + c, and the caller resumes at the end. N signatures
// requested together therefore finish after c1, c1 + c2, ..., sum of c. A caller cancelled
// while queued keeps its slot (the CPU work was already queued on the thread).
//
// Only signatures are serialized: other CPU (cpu_per_request, a Durable Object's
// service_time) does not occupy this queue. No allocation beyond the coroutine frame.
// `source` must outlive the signer.
class SerialTokenSigner final : public TokenSigner {
 public:
  explicit SerialTokenSigner(TokenSignerSim& source) : source_(source) {}
  SerialTokenSigner(const SerialTokenSigner&) = delete;
  SerialTokenSigner& operator=(const SerialTokenSigner&) = delete;

  Task<void> SignJwt(CredentialKey key) override;
  // The instant the last queued signature ends (Time() before the first).
  Time busy_until() const { return busy_until_; }

 private:
  TokenSignerSim& source_;
  Time busy_until_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_TOKEN_SIGNER_SIM_H_
