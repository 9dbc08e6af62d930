#pragma once

#include <mutex>

// Clang thread-safety annotations (checked by the clang-tsa preset) and a
// std::mutex wrapper that carries them. No-ops on other compilers.
#if defined(__clang__)
#define FERRY_TSA(x) __attribute__((x))
#else
#define FERRY_TSA(x)
#endif

#define CAPABILITY(x) FERRY_TSA(capability(x))
#define SCOPED_CAPABILITY FERRY_TSA(scoped_lockable)
#define GUARDED_BY(x) FERRY_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) FERRY_TSA(pt_guarded_by(x))
#define REQUIRES(...) FERRY_TSA(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) FERRY_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) FERRY_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) FERRY_TSA(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) FERRY_TSA(assert_capability(x))

namespace ferry {

class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis the caller holds this mutex (e.g. inside a lambda run
  // under a lock the analysis cannot see through). Checks nothing at run time.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  std::mutex mu_;
};

// RAII lock over Mutex.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.Lock(); }
  ~MutexLock() RELEASE() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace ferry
