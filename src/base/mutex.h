// A mutex that clang's -Wthread-safety understands (libstdc++'s std::mutex is not annotated), and
// its scoped lock. Mutex is BasicLockable, so std::condition_variable_any can wait on it. And a
// one-shot wake-up for handing a result from one thread to another.
#pragma once

#include <semaphore.h>

#include <mutex>

#include "base/thread_annotations.h"

namespace quartet {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// One thread waits until another signals, once. What the signaller wrote before Signal() is seen
// by the waiter after Wait() returns. The waiter may destroy the Wakeup as soon as Wait() returns.
// A POSIX semaphore: it sleeps in the kernel at once, where std::binary_semaphore (libstdc++ 12)
// first spins calling sched_yield, which costs many waiting threads dearly.
class Wakeup {
 public:
  Wakeup() { sem_init(&sem_, 0, 0); }
  ~Wakeup() { sem_destroy(&sem_); }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void Signal() { sem_post(&sem_); }
  void Wait() {
    while (sem_wait(&sem_) != 0) {
      // EINTR: a signal arrived while waiting; wait on.
    }
  }

 private:
  sem_t sem_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace quartet
