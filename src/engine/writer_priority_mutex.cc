#include "src/engine/writer_priority_mutex.h"

#include <cerrno>
#include <cstdlib>

namespace locus {
namespace {

// A failing pthread call here is a programmer error (unlocking what is not held, or
// deadlocking on oneself): stop at once rather than corrupt the model.
void Check(int rc) {
  if (rc != 0) std::abort();
}

}  // namespace

WriterPriorityMutex::WriterPriorityMutex() {
  pthread_rwlockattr_t attr;
  Check(pthread_rwlockattr_init(&attr));
#ifdef __GLIBC__
  // glibc's default prefers readers; this kind makes new readers wait behind a waiting writer.
  Check(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP));
#endif
  Check(pthread_rwlock_init(&rw_, &attr));
  Check(pthread_rwlockattr_destroy(&attr));
}

WriterPriorityMutex::~WriterPriorityMutex() { pthread_rwlock_destroy(&rw_); }

void WriterPriorityMutex::lock() { Check(pthread_rwlock_wrlock(&rw_)); }

bool WriterPriorityMutex::try_lock() {
  const int rc = pthread_rwlock_trywrlock(&rw_);
  if (rc == EBUSY) return false;
  Check(rc);
  return true;
}

void WriterPriorityMutex::unlock() { Check(pthread_rwlock_unlock(&rw_)); }

void WriterPriorityMutex::lock_shared() {
  int rc;
  // EAGAIN: the reader count is at its maximum; wait for one to leave.
  while ((rc = pthread_rwlock_rdlock(&rw_)) == EAGAIN) {
  }
  Check(rc);
}

bool WriterPriorityMutex::try_lock_shared() {
  const int rc = pthread_rwlock_tryrdlock(&rw_);
  if (rc == EBUSY || rc == EAGAIN) return false;
  Check(rc);
  return true;
}

void WriterPriorityMutex::unlock_shared() { Check(pthread_rwlock_unlock(&rw_)); }

}  // namespace locus
