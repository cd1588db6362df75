#include "src/engine/engine.h"

#include <future>
#include <limits>

namespace locus {

using Clock = std::chrono::steady_clock;

Engine::Engine(EngineOptions options, std::unique_ptr<StateStore> store)
    : options_(std::move(options)), store_(std::move(store)), model_(options_.model) {
  model_.set_retrain_runner(&retrainer_);
}

Result<std::unique_ptr<Engine>> Engine::Open(EngineOptions options,
                                             std::unique_ptr<StateStore> store) {
  std::unique_ptr<Engine> engine(new Engine(std::move(options), std::move(store)));
  // The co-visit and transition rows and the users stay in the store until CompleteLoad
  // (answers read the rows and users they need meanwhile, by seeks and gets). The WAL a crash
  // left was recovered into the memtables, and a seek or get over a vector memtable copies
  // and sorts it (at 2M events the first answer took 0.8 s): to SST files first, beside the
  // model's load (the flush is one thread's work, ~0.3 s at 10M events, and the load's scans
  // read these spaces as they are either way).
  auto flushed = std::async(std::launch::async, [&engine] {
    return engine->store_->FlushSpaces({Space::kCovisits, Space::kTransitions, Space::kUserHistory,
                                        Space::kProfiles, Space::kLearned});
  });
  Status s = engine->model_.Load(*engine->store_, Model::RowLoading::kOnFirstUse);
  if (Status f = flushed.get(); s.ok()) s = std::move(f);
  if (!s.ok())
    return Status::Error("loading state from " + engine->store_->dir() + ": " + s.message());
  // Compactions a store opened with defer_compactions held back, now that the model is in
  // (with rows left in the store, once they are read too: compactions would take the CPU
  // the rows' reading needs, and reads over the level-0 files cost the same either way).
  if (!engine->model_.load_pending()) {
    s = engine->store_->EnableCompactions();
    if (!s.ok()) return s;
  }
  if (!engine->model_.user_count_stored()) {
    // A store from before the users' count was kept: written now (it is all Persist has to
    // write after a load), so that the next start leaves the users in the store.
    StateStore::Batch batch;
    engine->model_.Persist(batch);
    s = engine->store_->Commit(batch);
    if (!s.ok()) return s;
  }
  if (engine->scaled()) {
    s = engine->LoadFilters();
    if (!s.ok())
      return Status::Error("loading state from " + engine->store_->dir() + ": " + s.message());
  }
  return engine;
}

void Engine::MarkConsumed(std::string_view topic, int32_t partition, int64_t offset) {
  pending_offsets_[{std::string(topic), partition}] = offset + 1;
  ++pending_messages_;
  if (!pending_since_) pending_since_ = Clock::now();
}

void Engine::CountRejected(std::string_view code) {
  std::unique_lock lock(mu_);
  model_.CountRejected(code);
}

Outcome Engine::HandlePlace(std::string_view topic, int32_t partition, int64_t offset,
                            std::string_view key, std::optional<std::string_view> value) {
  Outcome out;
  if (!value) {
    if (ValidId(key)) {
      std::unique_lock lock(mu_);
      model_.DeletePlace(PlaceId(std::string(key)));
    } else {
      out = {false, "schema", "tombstone with a key that is not a place id"};
    }
  } else {
    Decoded<Place> d = DecodePlace(*value);
    if (!d.ok()) {
      out = {false, d.code, d.error};
    } else if (!key.empty() && key != d.value->id.str()) {
      out = {false, "schema",
             "message key '" + std::string(key.substr(0, 128)) + "' differs from place_id '" +
                 d.value->id.str() + "'"};
    } else {
      std::unique_lock lock(mu_);
      model_.UpsertPlace(std::move(*d.value));
    }
  }
  (out.ok ? counters_.places_applied : counters_.places_rejected)++;
  if (!out.ok) CountRejected(out.code);
  MarkConsumed(topic, partition, offset);
  return out;
}

bool Engine::RetrainInstallDue(const Event& event) const {
  // Only this thread changes the schedule, so it reads it without the lock.
  const TimeMs at = model_.retrain_install_at();
  return at != 0 && event.ts >= at && model_.options().retrain_install_waits &&
         retrainer_.training();
}

Status Engine::CompleteLoad() {
  const auto [rows, users] =
      WithModel([](const Model& m) { return std::pair(m.rows_pending(), m.users_pending()); });
  if (!rows && !users) return Status::Ok();
  // The users are read on a thread of their own beside the rows (the read touches only the
  // places' index, which nothing changes before the loop reads the places topic),
  // then installed at once: the table read is swapped in, and only the deleted places it
  // names are numbered under the lock.
  using UsersRead = std::pair<Status, std::unique_ptr<Model::StoredUsers>>;
  std::future<UsersRead> users_read;
  if (users) {
    users_read = std::async(std::launch::async, [this] {
      auto read = std::make_unique<Model::StoredUsers>();
      Status s = model_.ReadStoredUsers(*read);
      return UsersRead(std::move(s), std::move(read));
    });
  }
  Status s = rows ? CompleteRowsInChunks() : Status::Ok();
  if (users) {
    auto [read_status, read] = users_read.get();
    if (s.ok() && read_status.ok()) {
      std::unique_lock lock(mu_);
      model_.InstallUsers(std::move(*read));
    } else if (s.ok()) {
      s = Status::Error("loading state from " + store_->dir() + ": " + read_status.message());
    }
  }
  if (!s.ok()) return s;
  return store_->EnableCompactions();
}

Status Engine::CompleteRowsInChunks() {
  // A chunk holds the lock ~10-20 ms to install: answers go on between chunks. The next chunk
  // is read from the store meanwhile, on a thread of its own (the read touches no table).
  constexpr size_t kPairsPerChunk = 20000;
  Model::RowCursor cursor;
  auto read = [this, &cursor] {
    auto chunk = std::make_unique<Model::StoredRows>();
    Status s = model_.ReadStoredRows(cursor, kPairsPerChunk, *chunk);
    return std::pair(std::move(s), std::move(chunk));
  };
  std::future<std::pair<Status, std::unique_ptr<Model::StoredRows>>> next =
      std::async(std::launch::async, read);
  for (;;) {
    auto [s, chunk] = next.get();
    if (!s.ok()) return Status::Error("loading state from " + store_->dir() + ": " + s.message());
    if (!chunk->last) next = std::async(std::launch::async, read);
    {
      std::unique_lock lock(mu_);
      model_.InstallRows(*chunk);
    }
    if (chunk->last) return Status::Ok();
  }
}

Status Engine::CompleteLoadLocked() {
  if (!model_.load_pending()) return Status::Ok();
  // Rows, then users, as CompleteLoad installs them.
  for (bool done = false; !done;) {
    Status s = model_.CompleteRows(std::numeric_limits<size_t>::max(), done);
    if (s.ok() && done) s = model_.CompleteUsers();
    if (!s.ok()) {
      // Nothing may change the model on top of rows it could not read: every later commit
      // is refused, so the engine stops and restarts from its store (what was handled after
      // this is not committed, and is read again).
      commit_failure_ = Status::Error("loading state from " + store_->dir() + ": " + s.message() +
                                      " (the engine must restart from its store)");
      return commit_failure_;
    }
  }
  return store_->EnableCompactions();
}

Status Engine::ApplyLocked(const Event& event, const std::optional<FactSource>& source) {
  // A caller that did not CompleteLoad: every row and user first, not a seek per change.
  if (Status s = CompleteLoadLocked(); !s.ok()) return s;
  if (!scaled() || !source) return model_.Apply(event);
  Status s = model_.ApplyUser(event, fact_);
  if (!s.ok()) return s;
  const std::string value = EncodeFact(fact_, *source);
  for (int32_t q : FactDestinations(fact_, options_.scale_out.partitions)) {
    facts_out_.push_back({q, fact_.place.str(), value});
  }
  return s;
}

Outcome Engine::ApplyEvent(const Event& event, std::optional<FactSource> source) {
  if (RetrainInstallDue(event)) retrainer_.Wait();
  Status s;
  {
    std::unique_lock lock(mu_);
    s = ApplyLocked(event, source);
  }
  if (!s.ok()) return {false, "unknown_place", s.message()};
  counters_.events_applied++;
  return {};
}

Outcome Engine::HandleEvent(std::string_view topic, int32_t partition, int64_t offset,
                            std::string_view value, const std::function<void()>& catch_up_places) {
  Decoded<Event> d = DecodeEvent(value);
  const FactSource source{partition, offset};
  Outcome out = d.ok() ? ApplyEvent(*d.value, source) : Outcome{false, d.code, d.error};
  if (!out.ok && out.code == "unknown_place" && catch_up_places) {
    // Producers publish a place before its events; read the places topic to its end first.
    catch_up_places();
    out = ApplyEvent(*d.value, source);
  }
  counters_.events[d.ok() ? static_cast<size_t>(d.value->type) : 3][out.ok ? 0 : 1]++;
  if (!out.ok) {
    counters_.events_rejected++;
    CountRejected(out.code);
  }
  MarkConsumed(topic, partition, offset);
  return out;
}

std::vector<Outcome> Engine::HandleEvents(const std::vector<EventMessage>& messages,
                                          const std::function<void()>& catch_up_places) {
  std::vector<Decoded<Event>> decoded;
  decoded.reserve(messages.size());
  for (const EventMessage& m : messages) decoded.push_back(DecodeEvent(m.value));
  std::vector<Outcome> out(messages.size());
  const auto budget = std::chrono::microseconds(options_.max_exclusive_us);
  size_t i = 0;
  while (i < messages.size()) {
    bool retry = false, await_retrain = false;
    {
      std::unique_lock lock(mu_);
      const auto since = Clock::now();
      for (size_t held = 0; i < messages.size(); ++i, ++held) {
        if (held > 0 && Clock::now() - since >= budget) break;  // let readers in, then go on
        if (!decoded[i].ok()) {
          out[i] = {false, decoded[i].code, decoded[i].error};
          continue;
        }
        if (RetrainInstallDue(*decoded[i].value)) {
          await_retrain = true;  // below, without the lock
          break;
        }
        Status s =
            ApplyLocked(*decoded[i].value, FactSource{messages[i].partition, messages[i].offset});
        if (!s.ok()) {
          if (catch_up_places) {
            retry = true;  // below, without the lock, before any later event
            break;
          }
          out[i] = {false, "unknown_place", s.message()};
          continue;
        }
        counters_.events_applied++;
      }
    }
    if (await_retrain) {
      retrainer_.Wait();
    } else if (retry) {
      // As HandleEvent: producers publish a place before its events; read the places topic to
      // its end, then try this event once more.
      catch_up_places();
      out[i] = ApplyEvent(*decoded[i].value, FactSource{messages[i].partition, messages[i].offset});
      ++i;
    }
  }
  for (size_t j = 0; j < messages.size(); ++j) {
    const Decoded<Event>& d = decoded[j];
    counters_.events[d.ok() ? static_cast<size_t>(d.value->type) : 3][out[j].ok ? 0 : 1]++;
    if (!out[j].ok) {
      counters_.events_rejected++;
      CountRejected(out[j].code);
    }
    MarkConsumed(messages[j].topic, messages[j].partition, messages[j].offset);
  }
  return out;
}

bool Engine::FlushDue() const {
  if (!pending_since_) return false;
  return pending_messages_ >= options_.flush_events ||
         Clock::now() - *pending_since_ >= std::chrono::milliseconds(options_.flush_interval_ms);
}

Result<Engine::Offsets> Engine::Flush(bool behind) {
  if (!commit_failure_.ok()) return commit_failure_;
  StateStore::Batch& batch = flush_batch_;
  std::vector<OutRecord> rows;
  if (scaled()) {
    PersistScaled(batch, rows);
  } else {
    // Shared: answers go on while the batch is written out. Persist changes only the model's
    // change tracking, which answers never read, and this (the loop) thread is the only one
    // that changes the model, always under the unique lock. Under the unique lock a flush
    // held every answer for as long as its batch took to build.
    std::shared_lock lock(mu_);
    model_.Persist(batch);
  }
  for (const auto& [tp, next] : pending_offsets_) batch.SetOffset(tp.first, tp.second, next);
  // A failed commit: the model forgot those changes when it handed them over, so committing
  // any later batch would store offsets past state that was never written. Refused until
  // restarted.
  const auto fail = [this](const Status& s) {
    commit_failure_ = Status::Error(s.message() + " (the engine must restart from its store)");
    return commit_failure_;
  };
  // Batches reach the store in order: the one before this is written first.
  Offsets committed;
  if (Status s = AwaitBehind(committed); !s.ok()) return fail(s);
  if (behind && !scaled() && batch.entries() > 0) {
    std::swap(flush_batch_, behind_batch_);
    behind_offsets_ = std::move(pending_offsets_);
    behind_ = std::async(std::launch::async, [this] { return store_->Commit(behind_batch_); });
  } else {
    if (batch.entries() > 0) {
      if (Status s = store_->Commit(batch); !s.ok()) return fail(s);
      counters_.flushes++;
    }
    for (auto& [tp, next] : pending_offsets_) committed[tp] = next;
  }
  if (scaled()) StageModelRecords(std::move(rows));
  pending_offsets_.clear();
  pending_messages_ = 0;
  pending_since_.reset();
  return committed;
}

Status Engine::AwaitBehind(Offsets& committed) {
  if (!behind_.valid()) return Status::Ok();
  Status s = behind_.get();
  if (!s.ok()) return s;
  counters_.flushes++;
  for (auto& [tp, next] : behind_offsets_) committed[tp] = next;
  behind_offsets_.clear();
  return s;
}

std::optional<int64_t> Engine::StoredOffset(std::string_view topic, int32_t partition) const {
  return store_->Offset(topic, partition);
}

Answer Engine::Recommend(const Query& query) {
  const auto start = Clock::now();
  Answer a;
  {
    std::shared_lock lock(mu_);
    a = locus::Recommend(model_, scorer_, query, options_.recommend);
  }
  a.took_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  counters_.answer_latency.Observe(a.took_ms / 1000.0);
  (a.ok ? counters_.requests_ok : counters_.requests_error)++;
  return a;
}

std::pair<std::string, std::string> Engine::AnswerRequest(std::string_view key,
                                                          std::string_view value) {
  Decoded<Query> d = DecodeRequest(value);
  Answer a;
  if (d.ok()) {
    a = Recommend(*d.value);
  } else {
    a.ok = false;
    a.request_id = SalvageRequestId(value);
    if (a.request_id.empty() && ValidId(key)) a.request_id = std::string(key);
    a.error = "invalid request: " + d.error;
    a.model_version = model_version();
    counters_.requests_error++;
  }
  std::string id = a.request_id;
  return {std::move(id), EncodeResponse(a)};
}

}  // namespace locus
