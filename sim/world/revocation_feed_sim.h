// Revocation events of a run and the simulated revocation feed.
//
// A revocation event at `at` (IAM "revoke active sessions") makes every credential of the
// role (or of all roles) issued before `at` stop working: AWS rejects its use with 403.
// The feed (Fly.io tkdb pattern) publishes each event `publish_delay` after it happens;
// Poll() costs `poll_latency` and fails while the feed is in an outage window.
#ifndef CREDSIM_SIM_WORLD_REVOCATION_FEED_SIM_H_
#define CREDSIM_SIM_WORLD_REVOCATION_FEED_SIM_H_

#include <vector>

#include "absl/status/status.h"
#include "sim/config/json_reader.h"
#include "sim/world/run_metrics.h"
#include "strategies/ports/ports.h"

namespace credsim {

struct RevocationConfig {
  std::vector<RevocationEvent> events;  // revoked_before = the event time
  Duration publish_delay = Duration::Seconds(1);   // assumption
  Duration poll_latency = Duration::Millis(20);    // assumption
  struct Outage {
    Duration start, end;
  };
  std::vector<Outage> feed_outages;
};
// Reads `{"events": [{"at": "30m", "role": 3}], "publish_delay": "1s", "poll_latency":
// "20ms", "feed_outages": [{"start": "1h", "end": "2h"}]}` ("role" absent = all roles).
absl::Status ParseRevocationConfig(JsonReader& r, RevocationConfig* out);

// Answers whether AWS accepts a credential at a given time.
class RevocationAuthority {
 public:
  explicit RevocationAuthority(const RevocationConfig& config) : config_(config) {}
  bool IsRevoked(uint32_t role, const Credentials& c, Time now) const {
    for (const RevocationEvent& e : config_.events) {
      if (e.revoked_before > now) break;  // events sorted by time
      if ((e.role == RevocationEvent::kAllRoles || e.role == role) &&
          c.issued_at < e.revoked_before) {
        return true;
      }
    }
    return false;
  }

 private:
  const RevocationConfig& config_;
};

class RevocationFeedSim final : public RevocationFeed {
 public:
  RevocationFeedSim(const RevocationConfig& config, Executor& executor)
      : config_(config), executor_(executor) {}
  Task<RevocationPoll> Poll(uint64_t cursor) override;

 private:
  const RevocationConfig& config_;
  Executor& executor_;
};

}  // namespace credsim

#endif  // CREDSIM_SIM_WORLD_REVOCATION_FEED_SIM_H_
