#include "identity/password.h"

#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <optional>
#include <thread>

#include "base/mutex.h"
#include "base/thread_annotations.h"
#include "base/utf8.h"

namespace quartet::identity {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

struct Argon2Limits {
  unsigned long long operations;
  size_t memory_bytes;
};

Argon2Limits LimitsFor(PasswordCost cost) {
  switch (cost) {
    case PasswordCost::kModerate:
      return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE, crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
    case PasswordCost::kInteractive:
      break;
  }
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

// sodium_init picks the fastest argon2 implementation for this CPU; it is idempotent.
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();  // libsodium cannot start: a broken installation.
}

// Copies `stored_hash` into the NUL-terminated form libsodium reads, or nullopt if it cannot be a
// PHC string libsodium wrote (too long, or holding a NUL).
std::optional<std::string> TerminatedHash(std::string_view stored_hash) {
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return std::nullopt;
  if (stored_hash.find('\0') != std::string_view::npos) return std::nullopt;
  return std::string(stored_hash);
}

// Hashing runs on a thread of its own at the lowest scheduling priority: sign-ins wait for it, and
// whatever else the process does (answering requests, committing) runs first. So a wave of wrong
// passwords takes at most one core, yielded to the rest of the server at once, and one hash's
// memory (bench/hostile_load: its memory traffic slows the other cores too, so one thread, not
// one per core).
class HashingThreads {
 public:
  static constexpr int kThreads = 1;

  static HashingThreads& Get() {
    static HashingThreads* threads = new HashingThreads;  // lives as long as the process
    return *threads;
  }

  void Run(const std::function<void()>& work) EXCLUDES(mu_) {
    Wakeup done;
    {
      MutexLock lock(mu_);
      queue_.push_back([&] {
        work();
        done.Signal();
      });
    }
    ready_.notify_one();
    done.Wait();
  }

 private:
  HashingThreads() {
    for (int i = 0; i < kThreads; ++i) std::thread([this] { Work(); }).detach();
  }

  void Work() EXCLUDES(mu_) {
    // Nice 19, for this thread alone (Linux applies it per thread). Failing leaves it at the
    // process's priority, which is only slower for others.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
    for (;;) {
      std::function<void()> job;
      {
        MutexLock lock(mu_);
        ready_.wait(mu_, [this]() REQUIRES(mu_) { return !queue_.empty(); });
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  Mutex mu_;
  std::condition_variable_any ready_;
  std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
};

}  // namespace

StatusOr<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgumentError("password is longer than 1024 bytes");
  }
  EnsureSodium();
  const Argon2Limits limits = LimitsFor(cost);
  char out[crypto_pwhash_STRBYTES];
  int failed = 0;
  HashingThreads::Get().Run([&] {
    failed = crypto_pwhash_str_alg(out, password.data(), password.size(), limits.operations,
                                   limits.memory_bytes, crypto_pwhash_ALG_ARGON2ID13);
  });
  if (failed != 0) {
    return UnavailableError("argon2id password hashing failed: out of memory");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view stored_hash, std::string_view password) {
  const std::optional<std::string> terminated = TerminatedHash(stored_hash);
  if (!terminated) return false;
  EnsureSodium();
  bool matches = false;
  HashingThreads::Get().Run([&] {
    matches = crypto_pwhash_str_verify(terminated->c_str(), password.data(), password.size()) == 0;
  });
  return matches;
}

bool PasswordNeedsRehash(std::string_view stored_hash, PasswordCost cost) {
  if (!stored_hash.starts_with(kArgon2idPrefix)) return true;
  const std::optional<std::string> terminated = TerminatedHash(stored_hash);
  if (!terminated) return true;
  const Argon2Limits limits = LimitsFor(cost);
  // 0: argon2id at exactly these limits; 1: other limits; -1: not an argon2id string.
  return crypto_pwhash_argon2id_str_needs_rehash(terminated->c_str(), limits.operations,
                                                 limits.memory_bytes) != 0;
}

Status CheckPasswordPolicy(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgumentError("password must be at most 1024 bytes");
  }
  size_t characters = 0;
  bool one_repeated_character = true;
  char32_t first = 0;
  for (size_t position = 0; position < password.size();) {
    const std::optional<CodePoint> code_point = DecodeUtf8(password.substr(position));
    if (!code_point) return InvalidArgumentError("password is not valid UTF-8");
    if (characters == 0) first = code_point->value;
    one_repeated_character = one_repeated_character && code_point->value == first;
    ++characters;
    position += code_point->length;
  }
  if (characters < kMinPasswordCharacters) {
    return InvalidArgumentError("password must be at least 12 characters");
  }
  if (one_repeated_character) {
    return InvalidArgumentError("password must not be a single character repeated");
  }
  return Status::Ok();
}

}  // namespace quartet::identity
