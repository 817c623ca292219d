#include <sodium.h>

#include <ctime>

#include "base/clock.h"
#include "base/random.h"

namespace quartet {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

class SystemRandom final : public Random {
 public:
  SystemRandom() {
    if (sodium_init() < 0) std::abort();
  }
  void Fill(std::span<uint8_t> out) override { randombytes_buf(out.data(), out.size()); }
};

}  // namespace

std::string FormatUtc(int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  const size_t size = std::strftime(buffer, sizeof buffer, format, &tm);
  return std::string(buffer, size);
}

Clock& Clock::System() {
  static SystemClock clock;
  return clock;
}

Random& Random::System() {
  static SystemRandom random;
  return random;
}

void FakeRandom::Fill(std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j)
      out[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
}

}  // namespace quartet
