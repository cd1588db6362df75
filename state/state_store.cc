#include "state/state_store.h"

#include "src/core/bytes.h"

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace locus {
namespace {

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return Status::Error(std::string(what) + ": " + s.ToString());
}

constexpr std::string_view kOffsetPrefix = "offset/";

size_t SpaceIndex(Space space) { return static_cast<size_t>(space); }

// Visits the entries of one column family in key order, as `ro` sees it, from the first key
// not below `start` until `visit` returns false (`what` names the read in an error).
template <class Visit>
Status VisitFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                   const rocksdb::ReadOptions& ro, std::string_view start, const std::string& what,
                   Visit&& visit) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, family));
  for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), what);
}

// Every entry of one column family.
Status ScanFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                  const rocksdb::ReadOptions& ro, Space space,
                  const std::function<void(std::string_view, std::string_view)>& visit) {
  return VisitFamily(db, family, ro, "", std::string("scanning ") + SpaceName(space),
                     [&](std::string_view key, std::string_view value) {
                       visit(key, value);
                       return true;
                     });
}

}  // namespace

struct StateStore::Batch::Impl {
  // Which column family handle each Space maps to is known only to the store, so changes
  // are recorded per space and replayed into one rocksdb::WriteBatch by Commit. Their bytes
  // go one after the other into one buffer (a flush writes 10-20 entries an event: two
  // strings each took two allocations per entry).
  struct Op {
    Space space;
    bool put;
    size_t at;  // key, then value, from bytes[at]
    size_t key_size;
    size_t value_size;
  };
  std::vector<Op> ops;
  std::string bytes;
  void Add(Space space, bool put, std::string_view key, std::string_view value) {
    ops.push_back({space, put, bytes.size(), key.size(), value.size()});
    bytes.append(key).append(value);
  }
  rocksdb::Slice Key(const Op& op) const { return {bytes.data() + op.at, op.key_size}; }
  rocksdb::Slice Value(const Op& op) const {
    return {bytes.data() + op.at + op.key_size, op.value_size};
  }
  // The offsets among ops, by key, for the store's copy of them once committed (-1: cleared).
  std::vector<std::pair<std::string, int64_t>> offsets;
  // What Commit hands RocksDB. Kept, as ops and bytes are, with its capacity across commits:
  // a batch reused flush after flush writes into memory it has touched before, where a new
  // one faulted in its tens of MB again (the allocator maps buffers over 1 MB afresh; see
  // TuneAllocator).
  rocksdb::WriteBatch write_batch;
  size_t write_batch_room = 0;  // bytes reserved in write_batch when it was made

  // Makes write_batch empty, with room for every entry's bytes and its header (tag, family,
  // two lengths).
  void PrepareWriteBatch() {
    const size_t need = bytes.size() + 16 * ops.size() + 12;
    if (need > write_batch_room) {
      write_batch = rocksdb::WriteBatch(need);
      write_batch_room = need;
    } else {
      write_batch.Clear();
    }
  }
  // Empties the batch after a commit. Each buffer keeps its memory for the next one unless
  // this commit used less than half of it: one far larger than usual (a bulk load of places)
  // gives its memory back at the next ordinary commit.
  void Reset() {
    constexpr size_t kSlack = size_t{1} << 20;
    if (write_batch_room > 2 * write_batch.GetDataSize() + kSlack) {
      write_batch = rocksdb::WriteBatch();
      write_batch_room = 0;
    }
    const auto keep_or_free = [](auto& buffer) {
      if (buffer.capacity() > 2 * buffer.size() + kSlack / sizeof(buffer[0])) {
        std::remove_reference_t<decltype(buffer)>().swap(buffer);
      }
      buffer.clear();
    };
    keep_or_free(ops);
    keep_or_free(bytes);
    offsets.clear();
  }
};

StateStore::Batch::Batch() : impl_(std::make_unique<Impl>()) {}
StateStore::Batch::~Batch() = default;
StateStore::Batch::Batch(Batch&&) noexcept = default;
StateStore::Batch& StateStore::Batch::operator=(Batch&&) noexcept = default;

void StateStore::Batch::Put(Space space, std::string_view key, std::string_view value) {
  impl_->Add(space, true, key, value);
}
void StateStore::Batch::Delete(Space space, std::string_view key) {
  impl_->Add(space, false, key, {});
}
void StateStore::Batch::SetOffset(std::string_view topic, int32_t partition, int64_t next) {
  std::string key = OffsetKey(topic, partition);
  Put(Space::kMeta, key, ByteWriter().I64(next).bytes());
  impl_->offsets.emplace_back(std::move(key), next);
}
void StateStore::Batch::ClearOffset(std::string_view topic, int32_t partition) {
  std::string key = OffsetKey(topic, partition);
  Delete(Space::kMeta, key);
  impl_->offsets.emplace_back(std::move(key), -1);
}
size_t StateStore::Batch::entries() const { return impl_->ops.size(); }

struct StateStore::Impl {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by Space
  std::vector<rocksdb::ColumnFamilyHandle*> all;      // every opened family, for cleanup
  // The committed offsets, by OffsetKey: read at open, then kept with each commit. Offset()
  // is asked often (every rebalance, the lag gauges each second) and a Get costs a sort of
  // the vector memtable (see Open), ~10% of the ingest thread's time when it was a Get.
  mutable std::mutex offsets_mu;
  std::unordered_map<std::string, int64_t> offsets;

  ~Impl() {
    if (db) {
      for (auto* h : all) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      db->Close().PermitUncheckedError();
    }
  }
};

StateStore::StateStore(std::unique_ptr<Impl> impl, std::string dir)
    : impl_(std::move(impl)), dir_(std::move(dir)) {}
StateStore::~StateStore() = default;

std::string StateStore::OffsetKey(std::string_view topic, int32_t partition) {
  return std::string(kOffsetPrefix) + std::string(topic) + "/" + std::to_string(partition);
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir, bool read_only,
                                                     bool defer_compactions) {
  std::error_code ec;
  if (!read_only) std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create state directory " + dir + ": " + ec.message());

  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.OptimizeLevelStyleCompaction();
  options.max_open_files = 512;
  // After a crash the WAL is replayed into the memtables and kept there, not flushed to new
  // SST files of every column family before Open returns: restart-to-ready is the WAL's read
  // time, not nine flushes (bench/README.md "Restart"). The WAL stays until a normal flush
  // (Engine::Open flushes the two pair families itself: it reads their rows by seeks).
  options.avoid_flush_during_recovery = true;
  // Bounds the WAL a restart replays: past this size the column families holding the oldest
  // log are flushed. RocksDB's default (4x all memtables, GiBs here) let a crash leave the
  // whole recent history to replay.
  options.max_total_wal_size = 32ull << 20;
  // The memtable is written far more than read: the engine serves from its in-memory model
  // and reads the store only when it opens. An append-only vector memtable (sorted once, when
  // it is flushed) makes each put O(1) instead of a skip-list insert, the largest single cost
  // of committing a batch (bench/README.md "Ingest").
  options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  options.allow_concurrent_memtable_write = false;  // one writer thread; the vector needs it
  // Flushes still run (the WAL stays bounded); compactions wait for EnableCompactions.
  options.disable_auto_compactions = defer_compactions && !read_only;

  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  if (!s.ok()) names = {rocksdb::kDefaultColumnFamilyName};
  for (Space space : kAllSpaces) {
    if (std::find(names.begin(), names.end(), SpaceName(space)) == names.end()) {
      if (read_only)
        return Status::Error("state in " + dir + " has no column family " + SpaceName(space) +
                             " (not a locus data directory?)");
      names.emplace_back(SpaceName(space));
    }
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
  }
  auto impl = std::make_unique<Impl>();
  rocksdb::DB* db = nullptr;
  s = read_only ? rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &impl->all, &db)
                : rocksdb::DB::Open(options, dir, descriptors, &impl->all, &db);
  if (!s.ok()) return FromRocks(s, "opening state in " + dir);
  impl->db.reset(db);
  impl->handles.resize(std::size(kAllSpaces));
  for (size_t i = 0; i < names.size(); ++i) {
    for (Space space : kAllSpaces) {
      if (names[i] == SpaceName(space)) impl->handles[SpaceIndex(space)] = impl->all[i];
    }
  }
  std::unique_ptr<StateStore> store(new StateStore(std::move(impl), dir));
  std::string bad;
  Status scanned = store->Scan(Space::kMeta, [&](std::string_view key, std::string_view value) {
    if (key.substr(0, kOffsetPrefix.size()) != kOffsetPrefix) return;
    ByteReader r(value);
    int64_t next = 0;
    if (r.I64(next)) {
      store->impl_->offsets.emplace(std::string(key), next);
    } else if (bad.empty()) {
      bad = std::string(key);
    }
  });
  if (!scanned.ok()) return scanned;
  if (!bad.empty()) return Status::Error("state in " + dir + ": corrupt offset " + bad);
  return store;
}

Status StateStore::Commit(Batch& batch) {
  Batch::Impl& b = *batch.impl_;
  b.PrepareWriteBatch();
  rocksdb::WriteBatch& wb = b.write_batch;
  for (const auto& op : b.ops) {
    auto* cf = impl_->handles[SpaceIndex(op.space)];
    rocksdb::Status s = op.put ? wb.Put(cf, b.Key(op), b.Value(op)) : wb.Delete(cf, b.Key(op));
    if (!s.ok()) return FromRocks(s, "building state batch");
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // the WAL reaches the OS before Write returns: safe against process crashes
  Status st = FromRocks(impl_->db->Write(wo, &wb), "committing state batch");
  if (!st.ok()) return st;
  {
    std::lock_guard lock(impl_->offsets_mu);
    for (auto& [key, next] : b.offsets) {
      if (next < 0) {
        impl_->offsets.erase(key);
      } else {
        impl_->offsets[std::move(key)] = next;
      }
    }
  }
  b.Reset();
  return st;
}

Status StateStore::EnableCompactions() {
  if (!compactions_deferred()) return Status::Ok();
  return FromRocks(impl_->db->EnableAutoCompaction(impl_->all), "enabling compactions");
}

bool StateStore::compactions_deferred() const {
  return std::any_of(impl_->all.begin(), impl_->all.end(), [this](rocksdb::ColumnFamilyHandle* cf) {
    return impl_->db->GetOptions(cf).disable_auto_compactions;
  });
}

Status StateStore::Scan(
    Space space, const std::function<void(std::string_view, std::string_view)>& visit) const {
  // A scan reads a whole column family once (a load, a republish, a dump): its blocks are not
  // worth keeping in the block cache, and read ahead in large steps they come off a cold disk
  // (after a reboot) without one seek per block. 512 KiB: each file's buffer stays under the
  // allocator's mapping threshold (TuneAllocator), so it reuses freed heap; 4 MiB buffers were
  // fresh mapped pages each (~31k page faults in a restart at 10M events, for no faster read).
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 512 << 10;
  return ScanFamily(impl_->db.get(), impl_->handles[SpaceIndex(space)], ro, space, visit);
}

std::optional<std::string> StateStore::Get(Space space, std::string_view key) const {
  std::string value;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), impl_->handles[SpaceIndex(space)],
                                     rocksdb::Slice(key.data(), key.size()), &value);
  if (!s.ok()) return std::nullopt;
  return value;
}

Status StateStore::ScanFrom(
    Space space, std::string_view start,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  return VisitFamily(impl_->db.get(), impl_->handles[SpaceIndex(space)], ro, start,
                     std::string("reading ") + SpaceName(space), visit);
}

Status StateStore::FlushSpaces(std::initializer_list<Space> spaces) {
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (Space space : spaces) families.push_back(impl_->handles[SpaceIndex(space)]);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(impl_->db->Flush(fo, families), "flushing state");
}

uint64_t StateStore::EntriesHint(Space space) const {
  uint64_t n = 0;
  if (!impl_->db->GetIntProperty(impl_->handles[SpaceIndex(space)],
                                 rocksdb::DB::Properties::kEstimateNumKeys, &n)) {
    return 0;
  }
  return n;
}

namespace {

// Reads through one RocksDB snapshot, released when the view goes away.
class SnapshotView final : public StateReader {
 public:
  SnapshotView(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : db_(db), handles_(handles), snapshot_(db->GetSnapshot()) {}
  ~SnapshotView() override { db_->ReleaseSnapshot(snapshot_); }

  Status Scan(Space space,
              const std::function<void(std::string_view, std::string_view)>& visit) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    return ScanFamily(db_, handles_[SpaceIndex(space)], ro, space, visit);
  }

  // A load at once from a snapshot seeks too (past the users' factor vectors, to them).
  Status ScanFrom(
      Space space, std::string_view start,
      const std::function<bool(std::string_view, std::string_view)>& visit) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    return VisitFamily(db_, handles_[SpaceIndex(space)], ro, start,
                       std::string("reading ") + SpaceName(space), visit);
  }

  std::optional<std::string> Get(Space space, std::string_view key) const override {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    std::string value;
    if (!db_->Get(ro, handles_[SpaceIndex(space)], rocksdb::Slice(key.data(), key.size()), &value)
             .ok()) {
      return std::nullopt;
    }
    return value;
  }

  uint64_t EntriesHint(Space space) const override {
    uint64_t n = 0;
    return db_->GetIntProperty(handles_[SpaceIndex(space)],
                               rocksdb::DB::Properties::kEstimateNumKeys, &n)
               ? n
               : 0;
  }

 private:
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  const rocksdb::Snapshot* snapshot_;
};

}  // namespace

std::unique_ptr<StateReader> StateStore::ConsistentView() const {
  return std::make_unique<SnapshotView>(impl_->db.get(), impl_->handles);
}

std::optional<int64_t> StateStore::Offset(std::string_view topic, int32_t partition) const {
  std::lock_guard lock(impl_->offsets_mu);
  auto it = impl_->offsets.find(OffsetKey(topic, partition));
  if (it == impl_->offsets.end()) return std::nullopt;
  return it->second;
}

StateStore::Memory StateStore::MemoryUsage() const {
  Memory m;
  rocksdb::DB& db = *impl_->db;
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &m.memtables);
  db.GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem, &m.table_readers);
  // One cache shared by the column families: read once, not summed over them.
  db.GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &m.block_cache);
  return m;
}

uint64_t StateStore::ApproximateBytes() const {
  uint64_t total = 0;
  for (auto* h : impl_->all) {
    uint64_t v = 0;
    if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &v)) total += v;
    // Unflushed writes live in the memtables (and the WAL) until RocksDB flushes them.
    if (impl_->db->GetIntProperty(h, rocksdb::DB::Properties::kCurSizeAllMemTables, &v)) total += v;
  }
  return total;
}

}  // namespace locus
