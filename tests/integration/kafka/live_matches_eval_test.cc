// The live engine (Kafka -> decode -> engine -> RocksDB) and `locus eval`'s replay run the
// same core: fed the same event prefix, they must give the same top-10 lists.
//
// One partition per topic, so the engine applies events in the order the replay does (with
// more partitions, arrival order across users varies and so do the learned weights). The
// import feeds the prefix far faster than real time, so the engine's retrain thread is told
// to install at the fixed point in event time as the replay's inline retrain does
// (model.retrain_install_waits; by default ingestion goes on and installs once trained).
#include "consumers/request_client.h"
#include "src/config/config.h"
#include "src/core/checkin.h"
#include "src/core/recommend.h"
#include "src/eval/dataset.h"
#include "src/eval/locus_method.h"
#include "src/synth/synth_city.h"
#include "tests/integration/kafka/process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace locus::itest {
namespace {

TEST(LiveMatchesEvalTest, KafkaEngineAnswersLikeTheReplayForTheSameEventPrefix) {
  TempDir dir;
  // A small city: the first 2,000 check-ins are the prefix both sides learn from; later
  // check-ins supply the questions.
  synth::CityOptions city;
  city.seed = 9;
  city.places = 250;
  city.users = 60;
  city.checkins = 2600;
  std::ostringstream all;
  synth::WriteCheckins(city, all);
  std::vector<std::string> lines;
  {
    std::istringstream in(all.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  constexpr size_t kPrefix = 2000;
  ASSERT_GT(lines.size(), kPrefix + 100);
  const std::string prefix_path = dir / "city.tsv";
  {
    std::ofstream f(prefix_path, std::ios::binary);
    for (size_t i = 0; i < kPrefix; ++i) f << lines[i] << "\n";
  }
  const std::string config_path = dir / "locus.yaml";
  {
    std::ofstream f(config_path);
    f << "kafka:\n  partitions: 1\nmysql:\n  snapshot_interval_s: 0\n"
      << "model:\n  retrain_install_waits: true\n";
  }

  SpawnOptions bo;
  bo.stderr_path = dir / "broker.log";
  auto broker = Child::Spawn({LocusBinary(), "broker", "--config", config_path}, bo);
  ASSERT_NE(broker, nullptr);
  const std::string bootstrap = ReadBootstrap(*broker);
  ASSERT_FALSE(bootstrap.empty());
  SpawnOptions so;
  so.stderr_path = dir / "serve.log";
  auto serve = Child::Spawn({LocusBinary(), "serve", "--bootstrap", bootstrap, "--data-dir",
                             dir / "state", "--config", config_path, "--http", "127.0.0.1:0"},
                            so);
  ASSERT_NE(serve, nullptr);
  SpawnOptions io;
  io.stderr_path = dir / "import.log";
  auto import = Child::Spawn({LocusBinary(), "import", prefix_path, "--bootstrap", bootstrap,
                              "--config", config_path, "--wait", "120", "--no-progress"},
                             io);
  ASSERT_NE(import, nullptr);
  ASSERT_EQ(import->Wait(seconds(180)), std::optional<int>(0))
      << Tail(ReadFileText(dir / "import.log")) << Tail(ReadFileText(dir / "serve.log"));

  // The replay side: the code `locus eval` runs, over the same file.
  auto data = eval::LoadCheckins(prefix_path);
  ASSERT_TRUE(data.ok()) << data.error();
  ASSERT_EQ(data->rows.size(), kPrefix);
  eval::LocusReplay replay(*data, ModelOptions{}, std::make_unique<LearnedScorer>());
  std::map<uint32_t, GeoPoint> last_position;
  for (size_t i = 0; i < data->rows.size(); ++i) {
    replay.Reveal(data->rows[i], i);
    last_position[data->rows[i].user] = data->rows[i].position;
  }
  std::map<std::string, uint32_t> users, activities;
  for (uint32_t i = 0; i < data->users.size(); ++i) users[data->users[i]] = i;
  for (uint32_t i = 0; i < data->activities.size(); ++i) activities[data->activities[i]] = i;

  KafkaConfig kafka;
  auto client = kafka::RequestClient::Create(kafka, {{"bootstrap.servers", bootstrap}});
  ASSERT_TRUE(client.ok()) << client.error();
  int compared = 0;
  for (size_t i = kPrefix; i < lines.size() && compared < 25; ++i) {
    auto c = ParseCheckinLine(lines[i]);
    ASSERT_TRUE(c.has_value()) << lines[i];
    auto u = users.find(c->user);
    auto a = activities.find(c->activity);
    if (u == users.end() || a == activities.end()) continue;  // unknown to the prefix
    const GeoPoint position = last_position.at(u->second);
    const std::vector<uint32_t> expected = replay.Rank(u->second, a->second, position, c->ts);

    Query q;
    q.request_id = "live-eval-" + std::to_string(i);
    q.activity_text = c->activity;
    q.user = UserId(c->user);
    q.position = position;
    q.at = c->ts;
    q.k = 10;
    auto answer = (*client)->Ask(q, 30000);
    ASSERT_TRUE(answer.ok()) << answer.error() << Tail(ReadFileText(dir / "serve.log"));
    ASSERT_TRUE(answer->ok) << answer->error;
    std::vector<std::string> live, replayed;
    for (const ScoredPlace& item : answer->items) live.push_back(item.place.str());
    for (uint32_t v : expected) replayed.push_back(data->venues[v]);
    EXPECT_EQ(live, replayed) << "question " << i << ": " << c->activity << " for user " << c->user;
    ++compared;
  }
  EXPECT_GE(compared, 20);
  serve->Signal(SIGTERM);
  EXPECT_EQ(serve->Wait(seconds(60)), std::optional<int>(0));
}

}  // namespace
}  // namespace locus::itest
