#include "snapshot/mysql_session.h"

#include "snapshot/connector.h"

#include <charconv>
#include <exception>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace locus::snapshot {
namespace {

// Prepared statements kept per session; more distinct texts than this clears the cache (only
// the last multi-row INSERT of each table varies in size).
constexpr size_t kMaxCachedStatements = 64;

// The driver singleton. Its first use initialises the client library, which is not
// thread-safe, hence the function-local static (initialised once, under a lock).
sql::mysql::MySQL_Driver* Driver() {
  static sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

Status FromException(const sql::SQLException& e, std::string_view doing) {
  std::string msg = std::string(doing) + ": " + e.what();
  if (e.getErrorCode() != 0) {
    msg += " (MySQL error " + std::to_string(e.getErrorCode());
    if (!e.getSQLState().empty()) msg += ", SQLSTATE " + std::string(e.getSQLState());
    msg += ")";
  }
  return Status::Error(std::move(msg));
}

// Runs `fn`, turning any exception into an error Status that says what was being done.
template <class Fn>
auto Guard(std::string_view doing, Fn&& fn) -> Result<decltype(fn())> {
  try {
    return fn();
  } catch (const sql::SQLException& e) {
    return FromException(e, doing);
  } catch (const std::exception& e) {
    return Status::Error(std::string(doing) + ": " + e.what());
  }
}

std::string Abbrev(const std::string& sql) {
  std::string s = sql.substr(0, 60);
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return sql.size() > 60 ? s + "..." : s;
}

}  // namespace

MysqlThread::MysqlThread() { Driver()->threadInit(); }
MysqlThread::~MysqlThread() { Driver()->threadEnd(); }

struct MysqlSession::Impl {
  std::unique_ptr<sql::Connection> conn;
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;

  sql::PreparedStatement& Prepare(const std::string& text) {
    auto it = statements.find(text);
    if (it != statements.end()) return *it->second;
    if (statements.size() >= kMaxCachedStatements) statements.clear();
    std::unique_ptr<sql::PreparedStatement> ps(conn->prepareStatement(text));
    return *statements.emplace(text, std::move(ps)).first->second;
  }

  static void Bind(sql::PreparedStatement& ps, const std::vector<SqlValue>& params,
                   size_t first = 0, size_t count = SIZE_MAX) {
    const size_t n = std::min(count, params.size() - std::min(first, params.size()));
    for (size_t i = 0; i < n; ++i) {
      const auto index = static_cast<unsigned int>(i + 1);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              ps.setNull(index, sql::DataType::VARCHAR);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              ps.setInt64(index, v);
            } else if constexpr (std::is_same_v<T, double>) {
              ps.setDouble(index, v);
            } else {
              ps.setString(index, sql::SQLString(v));
            }
          },
          params[first + i]);
    }
  }
};

MysqlSession::MysqlSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MysqlSession::~MysqlSession() {
  if (!impl_) return;
  impl_->statements.clear();  // statements before their connection
  try {
    if (impl_->conn) impl_->conn->close();
  } catch (const std::exception&) {
    // Closing a connection that is already gone; nothing to do.
  }
}

std::string DescribeServer(const MysqlConfig& config) {
  std::string where = config.user + "@";
  where += config.socket.empty() ? config.host + ":" + std::to_string(config.port)
                                 : "unix:" + config.socket;
  if (!config.database.empty()) where += "/" + config.database;
  return where;
}

Result<std::unique_ptr<MysqlSession>> MysqlSession::Connect(const MysqlConfig& config,
                                                            const ConnectOptions& options) {
  const std::string where = DescribeServer(config);
  auto impl = std::make_unique<Impl>();
  auto connected = Guard("connecting to MySQL at " + where, [&] {
    sql::ConnectOptionsMap o;
    o["hostName"] = sql::SQLString(config.socket.empty()
                                       ? "tcp://" + config.host + ":" + std::to_string(config.port)
                                       : "unix://" + config.socket);
    o["userName"] = sql::SQLString(config.user);
    o["password"] = sql::SQLString(config.password);
    if (!config.database.empty()) o["schema"] = sql::SQLString(config.database);
    o["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    o["OPT_CONNECT_TIMEOUT"] = options.connect_timeout_s;
    o["OPT_READ_TIMEOUT"] = options.io_timeout_s;
    o["OPT_WRITE_TIMEOUT"] = options.io_timeout_s;
    impl->conn.reset(Driver()->connect(o));
    return true;
  });
  if (!connected.ok()) return connected.status();
  std::unique_ptr<MysqlSession> session(new MysqlSession(std::move(impl)));
  session->where_ = where;
  // Strict mode: a value that does not fit is an error, never silently cut or changed.
  // UTC: DATETIME columns hold UTC and NOW()-style functions agree with them.
  for (const char* sql : {"SET NAMES utf8mb4",
                          "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,"
                          "ERROR_FOR_DIVISION_BY_ZERO'",
                          "SET SESSION time_zone = '+00:00'"}) {
    auto r = session->Execute(sql);
    if (!r.ok())
      return Status::Error("setting up the MySQL session at " + where + ": " + r.error());
  }
  auto version = session->QueryValue("SELECT VERSION()");
  if (!version.ok()) return version.status();
  session->server_version_ = version->value_or("");
  return session;
}

Result<int64_t> MysqlSession::Execute(const std::string& sql, const std::vector<SqlValue>& params) {
  return Guard("MySQL statement \"" + Abbrev(sql) + "\"", [&]() -> int64_t {
    sql::PreparedStatement& ps = impl_->Prepare(sql);
    Impl::Bind(ps, params);
    return ps.executeUpdate();
  });
}

Result<std::vector<SqlRow>> MysqlSession::Query(const std::string& sql,
                                                const std::vector<SqlValue>& params) {
  return Guard("MySQL query \"" + Abbrev(sql) + "\"", [&] {
    sql::PreparedStatement& ps = impl_->Prepare(sql);
    Impl::Bind(ps, params);
    std::unique_ptr<sql::ResultSet> rs(ps.executeQuery());
    sql::ResultSetMetaData* meta = rs->getMetaData();
    const unsigned int columns = meta->getColumnCount();
    // The connector prints binary-protocol doubles with 8 significant digits; read them as
    // doubles and print the shortest text that round-trips instead.
    std::vector<bool> is_double(columns + 1, false);
    for (unsigned int i = 1; i <= columns; ++i) {
      const int type = meta->getColumnType(i);
      is_double[i] = type == sql::DataType::DOUBLE || type == sql::DataType::REAL;
    }
    std::vector<SqlRow> rows;
    while (rs->next()) {
      SqlRow row(columns);
      for (unsigned int i = 1; i <= columns; ++i) {
        if (rs->isNull(i)) continue;
        if (is_double[i]) {
          char buf[64];
          const auto end =
              std::to_chars(buf, buf + sizeof buf, static_cast<double>(rs->getDouble(i)));
          row[i - 1] = std::string(buf, end.ptr);
        } else {
          row[i - 1] = rs->getString(i).asStdString();
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

Result<std::optional<std::string>> MysqlSession::QueryValue(const std::string& sql,
                                                            const std::vector<SqlValue>& params) {
  auto rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty() || rows->front().empty()) return std::optional<std::string>();
  return rows->front().front();
}

Status MysqlSession::InsertRows(std::string_view table, const std::vector<std::string>& columns,
                                const std::vector<std::vector<SqlValue>>& rows,
                                size_t rows_per_statement) {
  if (rows.empty()) return Status::Ok();
  std::string head = "INSERT INTO " + std::string(table) + " (";
  std::string tuple = "(";
  for (size_t i = 0; i < columns.size(); ++i) {
    head += (i ? ", " : "") + columns[i];
    tuple += i ? ",?" : "?";
  }
  head += ") VALUES ";
  tuple += ")";
  std::vector<SqlValue> params;
  for (size_t start = 0; start < rows.size(); start += rows_per_statement) {
    const size_t n = std::min(rows_per_statement, rows.size() - start);
    std::string sql = head;
    for (size_t i = 0; i < n; ++i) sql += (i ? "," : "") + tuple;
    params.clear();
    for (size_t i = start; i < start + n; ++i) {
      if (rows[i].size() != columns.size()) {
        return Status::Error("internal: a row for " + std::string(table) + " has " +
                             std::to_string(rows[i].size()) + " values for " +
                             std::to_string(columns.size()) + " columns");
      }
      params.insert(params.end(), rows[i].begin(), rows[i].end());
    }
    auto r = Execute(sql, params);
    if (!r.ok()) return Status::Error("inserting into " + std::string(table) + ": " + r.error());
  }
  return Status::Ok();
}

Status MysqlSession::Begin() {
  auto r = Guard("starting a MySQL transaction", [&] {
    impl_->conn->setAutoCommit(false);
    return true;
  });
  return r.status();
}

Status MysqlSession::Commit() {
  auto r = Guard("committing the MySQL transaction", [&] {
    impl_->conn->commit();
    impl_->conn->setAutoCommit(true);
    return true;
  });
  return r.status();
}

void MysqlSession::Rollback() {
  auto r = Guard("rolling back", [&] {
    impl_->conn->rollback();
    impl_->conn->setAutoCommit(true);
    return true;
  });
  r.status().IgnoreError();  // the server rolls back anyway when the connection is gone
}

}  // namespace locus::snapshot
