#include "tests/integration/mysql/mysql_fixture.h"

#include "src/codec/messages.h"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace locus::test_support {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

}  // namespace

MysqlConfig ProjectServer(const std::string& database) {
  MysqlConfig c;
  c.host = "127.0.0.1";
  c.port = std::stoi(Env("LOCUS_MYSQL_PORT", "3307"));
  c.user = Env("LOCUS_MYSQL_USER", "locus");
  c.password = Env("LOCUS_MYSQL_PASSWORD", "locus");
  c.database = database;
  return c;
}

namespace {
// Whether the project's server came up for this suite. A failure inside SetUpTestSuite makes
// GoogleTest report the tests as skipped, which ctest counts as passing: each test fails
// on its own instead.
int server_start_status = -1;
}  // namespace

void MysqlTest::SetUpTestSuite() {
  const std::string cmd = std::string(LOCUS_SOURCE_DIR) + "/scripts/mariadb start >/dev/null";
  server_start_status = std::system(cmd.c_str());
}

void MysqlTest::SetUp() {
  ASSERT_EQ(server_start_status, 0)
      << LOCUS_SOURCE_DIR << "/scripts/mariadb start failed: the project's MariaDB is not running";
  static int n = 0;
  const std::string base = Env("LOCUS_MYSQL_DATABASE", "locus");
  const std::string db = base + "_test_" + std::to_string(getpid()) + "_" + std::to_string(++n);
  auto admin = snapshot::MysqlSession::Connect(ProjectServer(""));
  ASSERT_TRUE(admin.ok()) << admin.error();
  admin_ = std::move(*admin);
  // A generated name of letters, digits and '_': safe to put in the statement text.
  auto r = admin_->Execute("DROP DATABASE IF EXISTS `" + db + "`");
  ASSERT_TRUE(r.ok()) << r.error();
  r = admin_->Execute("CREATE DATABASE `" + db +
                      "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
  ASSERT_TRUE(r.ok()) << r.error();
  mysql_ = ProjectServer(db);
}

void MysqlTest::TearDown() {
  sql_.reset();
  if (admin_) {
    auto r = admin_->Execute("DROP DATABASE IF EXISTS `" + mysql_.database + "`");
    EXPECT_TRUE(r.ok()) << r.error();
  }
  admin_.reset();
}

snapshot::MysqlSession& MysqlTest::sql() {
  if (!sql_) {
    auto s = snapshot::MysqlSession::Connect(mysql_);
    if (!s.ok()) {
      ADD_FAILURE() << s.error();
      std::abort();
    }
    sql_ = std::move(*s);
  }
  return *sql_;
}

std::vector<snapshot::SqlRow> MysqlTest::Rows(const std::string& query,
                                              const std::vector<snapshot::SqlValue>& params) {
  auto rows = sql().Query(query, params);
  EXPECT_TRUE(rows.ok()) << rows.error();
  return rows.ok() ? *rows : std::vector<snapshot::SqlRow>{};
}

std::string MysqlTest::Value(const std::string& query,
                             const std::vector<snapshot::SqlValue>& params) {
  auto rows = Rows(query, params);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0].value_or("");
}

int64_t MysqlTest::Int(const std::string& query, const std::vector<snapshot::SqlValue>& params) {
  const std::string v = Value(query, params);
  return v.empty() ? -1 : std::stoll(v);
}

snapshot::SnapshotterOptions MysqlTest::SnapshotterFor(const MysqlConfig& mysql) const {
  snapshot::SnapshotterOptions o;
  o.mysql = mysql;
  o.content.model_version = "test-1";
  o.connect.connect_timeout_s = 2;
  o.connect.io_timeout_s = 30;
  return o;
}

TestEngine::TestEngine() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "locus_mysql_XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  dir_ = tmpl;
  auto store = StateStore::Open(dir_ + "/state");
  if (!store.ok()) std::abort();
  auto engine = Engine::Open(EngineOptions{}, std::move(*store));
  if (!engine.ok()) std::abort();
  engine_ = std::move(*engine);
}

TestEngine::~TestEngine() {
  engine_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestEngine::AddPlace(const Place& place) {
  const Outcome o =
      engine_->HandlePlace("locus.places", 0, place_offset_++, place.id.str(), EncodePlace(place));
  ASSERT_TRUE(o.ok) << o.reason;
}

void TestEngine::AddEvent(const Event& event) {
  const Outcome o = engine_->HandleEvent("locus.events", 0, event_offset_++, EncodeEvent(event));
  ASSERT_TRUE(o.ok) << o.reason;
}

void TestEngine::Flush() {
  auto r = engine_->Flush();
  ASSERT_TRUE(r.ok()) << r.error();
}

snapshot::ViewSource TestEngine::views() const {
  const StateStore* store = &engine_->store();
  return [store] { return store->ConsistentView(); };
}

Place MakePlace(const std::string& id, const std::string& name,
                const std::vector<std::string>& activities, double lat, double lon) {
  Place p;
  p.id = PlaceId(id);
  p.name = name;
  p.position = {lat, lon};
  for (const std::string& a : activities) p.activities.emplace_back(a);
  return p;
}

Event MakeVisit(const std::string& user, const std::string& place, TimeMs ts) {
  static int64_t n = 0;
  Event e;
  e.event_id = "e" + std::to_string(++n);
  e.type = EventType::kVisit;
  e.user = UserId(user);
  e.place = PlaceId(place);
  e.ts = ts;
  return e;
}

void FillCity(TestEngine& engine, int places, int events, uint64_t seed) {
  static const char* kActivities[] = {"Coffee Shop", "Bar", "Climbing Gym"};
  for (int i = 0; i < places; ++i) {
    engine.AddPlace(MakePlace("p" + std::to_string(i), "Place " + std::to_string(i),
                              {kActivities[i % 3]}, 40.7 + i * 1e-3, -73.9 - i * 1e-3));
  }
  std::mt19937_64 rng(seed);
  // Skewed popularity: low place numbers are visited far more often.
  std::geometric_distribution<int> place_of(0.08);
  std::uniform_int_distribution<int> user_of(0, 39);
  TimeMs ts = 1'700'000'000'000;
  for (int i = 0; i < events; ++i) {
    ts += 60'000 + static_cast<TimeMs>(rng() % 3'600'000);
    const int p = place_of(rng) % places;
    engine.AddEvent(MakeVisit("u" + std::to_string(user_of(rng)), "p" + std::to_string(p), ts));
  }
  engine.Flush();
}

}  // namespace locus::test_support
