#include "sim/engine/random.h"

#include <cstdlib>

namespace credsim {
namespace {

constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Full 128-bit product of two 64-bit values, as (high, low).
inline void Mul128(uint64_t a, uint64_t b, uint64_t& hi, uint64_t& lo) {
#if defined(__SIZEOF_INT128__)
  const unsigned __int128 m = static_cast<unsigned __int128>(a) * b;
  hi = static_cast<uint64_t>(m >> 64);
  lo = static_cast<uint64_t>(m);
#else
  const uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
  const uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
  const uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
  const uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
  lo = (mid << 32) | (ll & 0xFFFFFFFFu);
  hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

}  // namespace

uint64_t SplitMix64(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ull;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Mix64(uint64_t x) { return SplitMix64(x); }

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

Rng::Rng(uint64_t seed) {
  uint64_t sm = seed;
  for (uint64_t& w : s_) w = SplitMix64(sm);
}

Rng Rng::FromState(const std::array<uint64_t, 4>& state) {
  if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0) std::abort();
  Rng r;
  r.s_ = state;
  return r;
}

Rng Rng::ForStream(uint64_t scenario_seed, std::string_view stream_name) {
  const uint64_t base = Mix64(scenario_seed) ^ Fnv1a64(stream_name);
  return Rng(Mix64(base));
}

Rng Rng::ForStream(uint64_t scenario_seed, std::string_view stream_name, uint64_t index) {
  const uint64_t base = Mix64(scenario_seed) ^ Fnv1a64(stream_name);
  return Rng(Mix64(Mix64(base) ^ Mix64(index)));
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform01() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Rng::UniformOpen01() {
  // (k + 0.5) with k < 2^52 is exact in a double, so the result lies in [2^-53, 1 - 2^-53].
  return (static_cast<double>(Next() >> 12) + 0.5) * 0x1.0p-52;
}

uint64_t Rng::UniformInt(uint64_t n) {
  uint64_t hi, lo;
  Mul128(Next(), n, hi, lo);
  if (lo < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (lo < threshold) Mul128(Next(), n, hi, lo);
  }
  return hi;
}

bool Rng::Bernoulli(double p) { return Uniform01() < p; }

}  // namespace credsim
