// StateStore: the durable truth of one engine process, a RocksDB instance with one column
// family per Space. Nothing outside state/ includes RocksDB headers.
//
// Lifecycle: Open() once per process (RocksDB locks the directory); Commit() batches from one
// writer thread; reads (Scan/Get) are safe from any thread. A Batch holds state changes and the
// Kafka offsets they came from, and Commit writes both atomically (one WriteBatch, WAL on), so
// after a crash the store holds either all of a batch or none of it.
#pragma once

#include "src/core/state_io.h"
#include "src/core/status.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace locus {

class StateStore final : public StateReader {
 public:
  class Batch final : public StateWriter {
   public:
    Batch();
    ~Batch() override;
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;
    void Put(Space space, std::string_view key, std::string_view value) override;
    void Delete(Space space, std::string_view key) override;
    // Records that everything before `next_offset` of topic/partition is in this batch.
    void SetOffset(std::string_view topic, int32_t partition, int64_t next_offset);
    // Forgets topic/partition's offset: the next owner of its state reads it from the start.
    void ClearOffset(std::string_view topic, int32_t partition);
    size_t entries() const;

   private:
    friend class StateStore;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // Opens (creating when missing) the store in `dir`. read_only opens without the lock, for
  // `locus state dump` and snapshots of a directory no engine holds. defer_compactions: no
  // compaction starts until EnableCompactions() (an engine loads its model first: on 2 CPUs
  // a compaction of what the last run left took a fifth of the restart's CPU).
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir, bool read_only = false,
                                                  bool defer_compactions = false);
  // Lets compactions run (those Open deferred start now); a no-op when none were deferred.
  Status EnableCompactions();
  // True while RocksDB holds compactions back in any column family (its live options).
  bool compactions_deferred() const;
  ~StateStore() override;

  Status Commit(Batch& batch);

  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override;
  std::optional<std::string> Get(Space space, std::string_view key) const override;
  // Seeks to `start` (a row read on first use, a chunk of the rows' completion).
  Status ScanFrom(
      Space space, std::string_view start,
      const std::function<bool(std::string_view, std::string_view)>& visit) const override;
  // Flushes the memtables of `spaces` to SST files and waits: an iterator over a vector
  // memtable copies and sorts it, so reads by seek want the recovered WAL out of it.
  Status FlushSpaces(std::initializer_list<Space> spaces);
  // RocksDB's "rocksdb.estimate-num-keys" of the space's column family.
  uint64_t EntriesHint(Space space) const override;

  // A read-only view of the state as it is now (a RocksDB snapshot): later commits do not
  // show in it and it never blocks them. Must not outlive the store.
  std::unique_ptr<StateReader> ConsistentView() const;

  // The next offset to read of topic/partition, as last committed; nullopt when none.
  std::optional<int64_t> Offset(std::string_view topic, int32_t partition) const;
  // Approximate bytes of the state: SST files plus the memtables not yet flushed to them.
  uint64_t ApproximateBytes() const;
  // What RocksDB holds in memory (bytes, its own estimates), beside the engine's model.
  struct Memory {
    uint64_t memtables = 0;      // active and immutable, every column family
    uint64_t table_readers = 0;  // open SST files' index and filter blocks outside the cache
    uint64_t block_cache = 0;    // the block cache's charge
    uint64_t total() const { return memtables + table_readers + block_cache; }
  };
  Memory MemoryUsage() const;
  const std::string& dir() const { return dir_; }

  static std::string OffsetKey(std::string_view topic, int32_t partition);

 private:
  struct Impl;
  explicit StateStore(std::unique_ptr<Impl> impl, std::string dir);
  std::unique_ptr<Impl> impl_;
  std::string dir_;
};

}  // namespace locus
