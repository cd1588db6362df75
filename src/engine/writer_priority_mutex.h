// A reader-writer lock on which a waiting writer holds back new readers.
//
// Why: the model lock (Engine) is read by the request workers, HTTP and tools, each for a
// whole recommend (milliseconds), and written by the ingest thread for one event at a time
// (a fraction of a millisecond). std::shared_mutex on glibc prefers readers: while readers
// overlap, a writer waits for a moment with none, so under steady request load events stop
// being applied (freshness and ingest stall). Here a writer waits only for the readers
// already inside; readers that come after it wait for that one write.
//
// Meets SharedMutex (std::unique_lock / std::shared_lock work). Not recursive: a thread that
// holds it shared must not take it shared again (a writer waiting in between deadlocks both).
#pragma once

#include <pthread.h>

namespace locus {

class WriterPriorityMutex {
 public:
  WriterPriorityMutex();
  ~WriterPriorityMutex();
  WriterPriorityMutex(const WriterPriorityMutex&) = delete;
  WriterPriorityMutex& operator=(const WriterPriorityMutex&) = delete;

  void lock();
  bool try_lock();
  void unlock();
  void lock_shared();
  bool try_lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t rw_;
};

}  // namespace locus
