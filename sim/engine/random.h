// Deterministic, platform-independent random numbers.
//
// Every random quantity in a simulation is drawn from an `Rng` obtained with
// `Rng::ForStream(scenario_seed, "stream name")`, so that adding a new consumer of randomness
// (a new stream name) never shifts the numbers seen by existing consumers. All arithmetic is
// specified bit-for-bit here (no std:: engines or distributions, whose output differs between
// standard libraries), so a (seed, stream name) pair yields the same sequence on every
// platform and compiler.
#ifndef CREDSIM_SIM_ENGINE_RANDOM_H_
#define CREDSIM_SIM_ENGINE_RANDOM_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace credsim {

// One step of the splitmix64 generator (Steele, Lea, Flood 2014): advances `state` by the
// golden-ratio increment 0x9E3779B97F4A7C15 and returns the mixed output
//   z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//   z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31).
uint64_t SplitMix64(uint64_t& state);

// splitmix64 as a pure function: the output of one step starting from state `x`.
// Mix64(x) == SplitMix64(copy of x). A bijection on uint64_t.
uint64_t Mix64(uint64_t x);

// 64-bit FNV-1a over the bytes of `s` (offset basis 0xCBF29CE484222325, prime
// 0x100000001B3): for each byte b: h ^= b; h *= prime.
uint64_t Fnv1a64(std::string_view s);

// Rng: a xoshiro256** generator (Blackman & Vigna 2018, 256-bit state, period 2^256 - 1).
//
// Contract:
//  - `Rng(seed)` fills the four state words with four consecutive SplitMix64 outputs starting
//    from state `seed` (the seeding recommended by the xoshiro authors); the state is then
//    never all-zero.
//  - Every method below consumes a fixed, documented number of `Next()` calls, except
//    `UniformInt`, which uses rejection and may (rarely) consume more than one.
//  - The output sequence depends only on the seed and the calls made: it is identical on all
//    platforms. Copying an Rng copies its position in the sequence.
//  - Not thread-safe; use one Rng per stream.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  // Rebuilds a generator from a raw state (e.g. a checkpoint or a reference test vector).
  // The state must not be all-zero.
  static Rng FromState(const std::array<uint64_t, 4>& state);
  const std::array<uint64_t, 4>& state() const { return s_; }

  // The stream for `stream_name` in the scenario seeded with `scenario_seed`:
  //   base = Mix64(scenario_seed) ^ Fnv1a64(stream_name)
  //   ForStream(seed, name) == Rng(Mix64(base))
  // This derivation is frozen: changing it changes every simulation result.
  static Rng ForStream(uint64_t scenario_seed, std::string_view stream_name);

  // A per-entity stream (e.g. one per colo index) within the named stream family:
  //   ForStream(seed, name, index) == Rng(Mix64(Mix64(base) ^ Mix64(index)))
  // with `base` as above. Distinct indices give independent-looking streams, all distinct
  // from ForStream(seed, name). Frozen like the two-argument form.
  static Rng ForStream(uint64_t scenario_seed, std::string_view stream_name, uint64_t index);

  // The next raw 64-bit output (one xoshiro256** step).
  uint64_t Next();

  // Uniform in [0, 1) with 53 random bits: (Next() >> 11) * 2^-53. One draw.
  double Uniform01();

  // Uniform in the open interval (0, 1): ((Next() >> 12) + 0.5) * 2^-52, i.e. the midpoints of
  // 2^52 equal cells, so it is never 0 or 1 and safe to pass to log() or an inverse CDF.
  // One draw.
  double UniformOpen01();

  // Uniform integer in [0, n), exactly unbiased (Lemire's multiply-and-reject method).
  // Returns 0 for n == 0 or n == 1 (still consuming one draw).
  uint64_t UniformInt(uint64_t n);

  // True with probability p (Uniform01() < p); p <= 0 is never true, p >= 1 always. One draw.
  bool Bernoulli(double p);

 private:
  Rng() = default;
  std::array<uint64_t, 4> s_{};
};

}  // namespace credsim

#endif  // CREDSIM_SIM_ENGINE_RANDOM_H_
