// AwsCredentialCheck: the checks AWS makes when a request uses temporary credentials (the
// S3/DynamoDB call the Worker makes with them), as the world plays them after
// GetCredentials() succeeded.
//
// Contract:
//  * Check() is a pure function of (role, credentials, now) and the revocation events of the
//    scenario: no RNG draws, no allocation, no metrics (the caller records the verdict).
//  * A credential that is missing (id 0) or whose expiration is at or before `now` is
//    kExpired (AWS answers 403 ExpiredToken); this is decided before revocation.
//  * Otherwise it is kRevoked if a revocation event for its role (or for all roles) has
//    taken effect (revoked_before <= now) and the credential was issued before it
//    (issued_at < revoked_before): AWS answers 403 AccessDenied. Else kAccepted.
//  * The RevocationConfig must outlive the check.
#ifndef CREDSIM_SIM_WORLD_AWS_CREDENTIAL_CHECK_H_
#define CREDSIM_SIM_WORLD_AWS_CREDENTIAL_CHECK_H_

#include <cstdint>

#include "sim/engine/time.h"
#include "sim/world/revocation_feed_sim.h"
#include "strategies/ports/ports.h"

namespace credsim {

enum class AwsVerdict : uint8_t { kAccepted, kExpired, kRevoked };

class AwsCredentialCheck {
 public:
  explicit AwsCredentialCheck(const RevocationConfig& revocation) : authority_(revocation) {}

  AwsVerdict Check(uint32_t role, const Credentials& c, Time now) const {
    if (!c.valid() || c.expiration <= now) return AwsVerdict::kExpired;
    if (authority_.IsRevoked(role, c, now)) return AwsVerdict::kRevoked;
    return AwsVerdict::kAccepted;
  }
  // The HTTP status the Worker answers with for a verdict (200 or 403).
  static int StatusOf(AwsVerdict v) { return v == AwsVerdict::kAccepted ? 200 : 403; }

 private:
  RevocationAuthority authority_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_AWS_CREDENTIAL_CHECK_H_
