// MysqlSession: the narrow interface in front of the MySQL connector (Connector/C++ 1.1,
// classic API). Nothing outside snapshot/*.cc sees a connector type; every connector
// exception is turned into a Status here.
//
// Every statement goes through a prepared statement with its values bound to `?`, including
// DDL, so no value is ever spliced into SQL text. Statements are cached per SQL text.
//
// Lifecycle: Connect() opens one connection (utf8mb4, strict SQL mode, UTC session time zone);
// destroying the session closes it. After an error the connection may be unusable: callers
// drop the session and connect again (Snapshotter does).
// Threading: a session belongs to one thread at a time. A thread other than the one that first
// used the connector must hold a MysqlThread while it uses sessions.
#pragma once

#include "src/config/config.h"
#include "src/core/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace locus::snapshot {

// A bound value: NULL (monostate), integer, double or UTF-8 text.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
// A result row: each column as text (NULL: nullopt).
using SqlRow = std::vector<std::optional<std::string>>;

struct ConnectOptions {
  // Seconds to wait for the TCP/socket connection and handshake.
  int connect_timeout_s = 5;
  // Seconds a read or write on the connection may block (a stalled server).
  int io_timeout_s = 120;
};

// Registers the calling thread with the connector for the object's lifetime.
class MysqlThread {
 public:
  MysqlThread();
  ~MysqlThread();
  MysqlThread(const MysqlThread&) = delete;
  MysqlThread& operator=(const MysqlThread&) = delete;
};

class MysqlSession {
 public:
  // Connects to the server of `config` (socket when config.socket is set, else host:port) and
  // uses config.database unless it is empty.
  static Result<std::unique_ptr<MysqlSession>> Connect(const MysqlConfig& config,
                                                       const ConnectOptions& options = {});
  ~MysqlSession();
  MysqlSession(const MysqlSession&) = delete;
  MysqlSession& operator=(const MysqlSession&) = delete;

  // Runs one statement; returns the rows it changed.
  Result<int64_t> Execute(const std::string& sql, const std::vector<SqlValue>& params = {});
  // Runs one statement that returns rows.
  Result<std::vector<SqlRow>> Query(const std::string& sql,
                                    const std::vector<SqlValue>& params = {});
  // One value of the first row (nullopt: no row or NULL).
  Result<std::optional<std::string>> QueryValue(const std::string& sql,
                                                const std::vector<SqlValue>& params = {});

  // INSERT INTO table (columns) VALUES (...),(...): all `rows` (each as many values as
  // columns), in multi-row statements of at most `rows_per_statement` rows.
  Status InsertRows(std::string_view table, const std::vector<std::string>& columns,
                    const std::vector<std::vector<SqlValue>>& rows,
                    size_t rows_per_statement = 500);

  // Transactions (autocommit is on outside them).
  Status Begin();
  Status Commit();
  // Best effort; the server also rolls back when the connection drops.
  void Rollback();

  // "user@host:port/database" or "user@unix:socket/database", for messages (no password).
  const std::string& where() const { return where_; }
  // The server's @@version, e.g. "10.11.19-MariaDB-0+deb12u1".
  const std::string& server_version() const { return server_version_; }

 private:
  struct Impl;
  explicit MysqlSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string where_;
  std::string server_version_;
};

// "user@host:port/database" for messages about `config` (never the password).
std::string DescribeServer(const MysqlConfig& config);

}  // namespace locus::snapshot
