// SHA-256 (FIPS 180-4), for content hashes that must be stable across runs, builds and
// machines: the scenario fingerprint of results.json and the storage keys of sweep runs.
// (absl::Hash is salted per process and must never be used for that.)
#ifndef CREDSIM_CLI_SHA256_H_
#define CREDSIM_CLI_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace credsim {

// Incremental: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // The 64 lower-case hex digits of the digest; the object must not be used afterwards.
  std::string HexDigest();

 private:
  void Block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string Sha256Hex(std::string_view data);

}  // namespace credsim

#endif  // CREDSIM_CLI_SHA256_H_
