// Time as an injected dependency, so tests control it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace quartet {

// `unix_seconds` in UTC, formatted by strftime(3) with `format` (at most 63 characters of output).
std::string FormatUtc(int64_t unix_seconds, const char* format);

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time since the Unix epoch. Thread-safe.
  virtual std::chrono::system_clock::time_point Now() const = 0;

  int64_t NowUnixSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
  }
  int64_t NowUnixMillis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
  }

  // The process-wide real clock.
  static Clock& System();
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start) : now_(start) {}
  std::chrono::system_clock::time_point Now() const override {
    MutexLock lock(mu_);
    return now_;
  }
  void Set(std::chrono::system_clock::time_point to) {
    MutexLock lock(mu_);
    now_ = to;
  }
  void Advance(std::chrono::system_clock::duration by) {
    MutexLock lock(mu_);
    now_ += by;
  }

 private:
  mutable Mutex mu_;
  std::chrono::system_clock::time_point now_ GUARDED_BY(mu_);
};

}  // namespace quartet
