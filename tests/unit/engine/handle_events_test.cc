// Engine::HandleEvents (a batch under few lock holds) must be indistinguishable from
// HandleEvent called once per message: outcomes, counters, catch-ups and the state committed.
#include "src/codec/messages.h"
#include "src/engine/engine.h"
#include "tests/unit/engine/engine_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace locus {
namespace {

namespace fs = std::filesystem;

using test_support::kEvents;
using test_support::kPlaces;
using test_support::kT0;
using test_support::PlaceJson;

// Event n of a stream: one a minute from kT0.
std::string EventJson(int n, const std::string& user, const std::string& place,
                      EventType type = EventType::kVisit) {
  return test_support::EventJson("e" + std::to_string(n), user, place, kT0 + n * 60'000, type);
}

// Valid events of several users and places, with bad JSON, a schema error, an event whose
// place only a catch-up makes known ("late") and one whose place never exists ("nowhere").
std::vector<std::string> Messages() {
  const std::vector<std::string> places{"c1", "c2", "c3", "g1"};
  std::vector<std::string> m;
  for (int n = 0; n < 40; ++n) {
    m.push_back(EventJson(n, "u" + std::to_string(n % 7), places[(n * 5) % 4],
                          n % 3 == 0 ? EventType::kClick : EventType::kVisit));
    if (n == 5) m.push_back("{\"event_id\":");
    if (n == 9) m.push_back(R"({"event_id":"x","type":"visit","place_id":"c1","ts":0})");
    if (n == 17) m.push_back(EventJson(1000, "u1", "late"));
    if (n == 23) m.push_back(EventJson(1001, "u2", "nowhere"));
  }
  return m;
}

class HandleEventsTest : public ::testing::Test {
 protected:
  struct Run {
    std::unique_ptr<Engine> engine;
    std::vector<Outcome> outcomes;
    int catch_ups = 0;
  };

  void TearDown() override {
    std::error_code ec;
    for (const fs::path& d : dirs_) fs::remove_all(d, ec);
  }

  // An engine on a fresh store with four places (offsets 0..3 of the places topic).
  std::unique_ptr<Engine> Open(int max_exclusive_us) {
    static std::atomic<int> counter{0};
    dirs_.push_back(
        fs::temp_directory_path() /
        ("locus_handle_events_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++)));
    fs::remove_all(dirs_.back());
    auto store = StateStore::Open(dirs_.back().string());
    EXPECT_TRUE(store.ok()) << store.error();
    EngineOptions options;
    options.max_exclusive_us = max_exclusive_us;
    auto engine = Engine::Open(options, std::move(*store));
    EXPECT_TRUE(engine.ok()) << engine.error();
    int64_t offset = 0;
    for (const auto& [id, lat, activity] :
         std::vector<std::tuple<std::string, double, std::string>>{{"c1", 40.70, "Coffee Shop"},
                                                                   {"c2", 40.71, "Coffee Shop"},
                                                                   {"c3", 40.75, "Coffee Shop"},
                                                                   {"g1", 40.72, "Gym"}}) {
      EXPECT_TRUE(
          (*engine)->HandlePlace(kPlaces, 0, offset++, id, PlaceJson(id, lat, activity)).ok);
    }
    return std::move(*engine);
  }

  // The catch-up finds "late" (once) on the places topic, never "nowhere".
  static std::function<void()> CatchUp(Run& run) {
    return [&run] {
      if (run.catch_ups++ == 0) {
        EXPECT_TRUE(
            run.engine->HandlePlace(kPlaces, 0, 4, "late", PlaceJson("late", 40.73, "Coffee Shop"))
                .ok);
      }
    };
  }

  static std::map<std::string, std::string> Stored(const Engine& engine) {
    std::map<std::string, std::string> all;
    for (Space space : kAllSpaces) {
      EXPECT_TRUE(engine.store()
                      .Scan(space,
                            [&](std::string_view k, std::string_view v) {
                              all[std::string(SpaceName(space)) + "/" + std::string(k)] =
                                  std::string(v);
                            })
                      .ok());
    }
    return all;
  }

  std::vector<fs::path> dirs_;
};

TEST_F(HandleEventsTest, ABatchEndsInTheSameOutcomesCountersAndStateAsOneEventAtATime) {
  const std::vector<std::string> messages = Messages();

  Run one;
  one.engine = Open(2000);
  for (size_t i = 0; i < messages.size(); ++i) {
    one.outcomes.push_back(
        one.engine->HandleEvent(kEvents, 0, static_cast<int64_t>(i), messages[i], CatchUp(one)));
  }
  ASSERT_TRUE(one.engine->Flush().ok());

  // Once with the lock given up after every event, once with the whole batch in one hold.
  for (int max_exclusive_us : {0, 1'000'000'000}) {
    SCOPED_TRACE("max_exclusive_us " + std::to_string(max_exclusive_us));
    Run batch;
    batch.engine = Open(max_exclusive_us);
    std::vector<Engine::EventMessage> in;
    for (size_t i = 0; i < messages.size(); ++i) {
      in.push_back({kEvents, 0, static_cast<int64_t>(i), messages[i]});
    }
    batch.outcomes = batch.engine->HandleEvents(in, CatchUp(batch));
    ASSERT_TRUE(batch.engine->Flush().ok());

    ASSERT_EQ(batch.outcomes.size(), one.outcomes.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      EXPECT_EQ(batch.outcomes[i].ok, one.outcomes[i].ok) << i;
      EXPECT_EQ(batch.outcomes[i].code, one.outcomes[i].code) << i;
      EXPECT_EQ(batch.outcomes[i].reason, one.outcomes[i].reason) << i;
    }
    EXPECT_EQ(batch.catch_ups, 2);
    EXPECT_EQ(batch.catch_ups, one.catch_ups);
    const EngineCounters &a = batch.engine->counters(), &b = one.engine->counters();
    EXPECT_EQ(a.events_applied.load(), b.events_applied.load());
    EXPECT_EQ(a.events_rejected.load(), b.events_rejected.load());
    EXPECT_EQ(a.events_rejected.load(), 3);
    for (size_t t = 0; t < a.events.size(); ++t) {
      EXPECT_EQ(a.events[t][0].load(), b.events[t][0].load()) << t;
      EXPECT_EQ(a.events[t][1].load(), b.events[t][1].load()) << t;
    }
    EXPECT_EQ(batch.engine->StoredOffset(kEvents, 0), static_cast<int64_t>(messages.size()));
    EXPECT_EQ(Stored(*batch.engine), Stored(*one.engine));
  }
}

}  // namespace
}  // namespace locus
