// Test support for snapshot tests against a real MariaDB: the project's own server
// (scripts/mariadb start, idempotent) and a fresh database locus_test_<pid>_<n> per test,
// dropped afterwards; and an Engine on a temporary state directory fed through its real
// handlers (HandlePlace/HandleEvent + Flush), as the Kafka loop feeds it.
#pragma once

#include "snapshot/content.h"
#include "snapshot/mysql_session.h"
#include "snapshot/snapshotter.h"
#include "src/config/config.h"
#include "src/engine/engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace locus::test_support {

// The project's server as scripts/mariadb configures it (LOCUS_MYSQL_PORT/USER/PASSWORD
// honoured), on database `database`.
MysqlConfig ProjectServer(const std::string& database);

class MysqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void SetUp() override;
  void TearDown() override;

  // Config of this test's database.
  const MysqlConfig& mysql() const { return mysql_; }
  // A session on this test's database, for checks.
  snapshot::MysqlSession& sql();
  // Rows of a query on this test's database; fails the test on error.
  std::vector<snapshot::SqlRow> Rows(const std::string& query,
                                     const std::vector<snapshot::SqlValue>& params = {});
  // The first column of the first row ("" for none or NULL).
  std::string Value(const std::string& query, const std::vector<snapshot::SqlValue>& params = {});
  int64_t Int(const std::string& query, const std::vector<snapshot::SqlValue>& params = {});

  snapshot::SnapshotterOptions SnapshotterFor(const MysqlConfig& mysql) const;

 private:
  MysqlConfig mysql_;
  std::unique_ptr<snapshot::MysqlSession> admin_;  // no default database
  std::unique_ptr<snapshot::MysqlSession> sql_;
};

// An engine on a fresh temporary directory (removed with it).
class TestEngine {
 public:
  TestEngine();
  ~TestEngine();

  void AddPlace(const Place& place);
  void AddEvent(const Event& event);
  void Flush();
  // Closes the engine (and its store) so other readers may open the directory.
  void Close() { engine_.reset(); }

  Engine& engine() { return *engine_; }
  const std::string& dir() const { return dir_; }
  snapshot::ViewSource views() const;

 private:
  std::string dir_;
  std::unique_ptr<Engine> engine_;
  int64_t place_offset_ = 0;
  int64_t event_offset_ = 0;
};

Place MakePlace(const std::string& id, const std::string& name,
                const std::vector<std::string>& activities, double lat = 40.7, double lon = -73.9);
Event MakeVisit(const std::string& user, const std::string& place, TimeMs ts);

// A seeded little city: `places` places over three activities, `events` visits by 40 users.
void FillCity(TestEngine& engine, int places, int events, uint64_t seed = 7);

}  // namespace locus::test_support
