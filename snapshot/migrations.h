// The MySQL schema as an ordered list of migrations: schemas/mysql/NNNN_name.sql, compiled
// into the binary (snapshot/embed_migrations.cmake), applied in version order by Migrator and
// recorded in the schema_migrations table. Pure functions over text; thread-safe.
//
// Migration text rules (so it can be split without an SQL parser): a statement ends with ';'
// at the end of a line; lines whose first non-blank characters are "--" are comments and are
// dropped. {{id_collation}} is replaced by the server's binary NO PAD collation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace locus::snapshot {

struct Migration {
  int version = 0;        // NNNN of the file name; strictly increasing
  std::string_view name;  // the file name, e.g. "0001_snapshot_tables.sql"
  std::string_view sql;   // the file's text, unrendered
};

// Every migration of this build, in version order (generated source).
const std::vector<Migration>& EmbeddedMigrations();

// The statements of a migration's text, without comment lines or the final ';'.
std::vector<std::string> SplitStatements(std::string_view sql);

// Replaces {{id_collation}} by `id_collation` (e.g. "utf8mb4_nopad_bin").
std::string RenderMigration(std::string_view sql, std::string_view id_collation);

// Binary NO PAD utf8mb4 collation of a server, from its @@version string: MariaDB has
// utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin.
std::string IdCollationFor(std::string_view server_version);

// FNV-1a 64 of the unrendered text as 16 lower-case hex digits; recorded per migration so a
// migration edited after it was applied is detected.
std::string MigrationChecksum(std::string_view sql);

// 64-bit FNV-1a, the hash of migrations and of snapshot contents.
class Fnv1a64 {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) h_ = (h_ ^ c) * 0x100000001b3ULL;
  }
  uint64_t value() const { return h_; }
  std::string Hex() const;

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace locus::snapshot
