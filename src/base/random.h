// Randomness as an injected dependency.
#pragma once

#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace quartet {

class Random {
 public:
  virtual ~Random() = default;
  // Fills `out` with bytes. Thread-safe. The system source is cryptographically secure.
  virtual void Fill(std::span<uint8_t> out) = 0;

  uint64_t NextUint64() {
    uint8_t bytes[8];
    Fill(bytes);
    return ReadBigEndian64(bytes);
  }

  // libsodium's randombytes (getrandom(2)).
  static Random& System();
};

// A deterministic, NOT secure, source for tests: splitmix64 from a seed. Not thread-safe.
class FakeRandom final : public Random {
 public:
  explicit FakeRandom(uint64_t seed) : state_(seed) {}
  void Fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace quartet
