#include "snapshot/migrations.h"

#include <cstdio>

namespace locus::snapshot {
namespace {

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::string Fnv1a64::Hex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h_));
  return buf;
}

std::vector<std::string> SplitStatements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  while (!sql.empty()) {
    const size_t eol = sql.find('\n');
    std::string_view line = sql.substr(0, eol);
    sql = eol == std::string_view::npos ? std::string_view{} : sql.substr(eol + 1);
    const std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.starts_with("--")) continue;
    if (!current.empty()) current += '\n';
    if (trimmed.ends_with(';')) {
      // The statement ends here; keep the line's indentation but drop the ';'.
      current += line.substr(0, line.find_last_of(';'));
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += line;
    }
  }
  if (!Trim(current).empty()) out.push_back(std::move(current));  // last one without ';'
  return out;
}

std::string RenderMigration(std::string_view sql, std::string_view id_collation) {
  static constexpr std::string_view kToken = "{{id_collation}}";
  std::string out;
  out.reserve(sql.size());
  size_t pos = 0;
  for (size_t hit; (hit = sql.find(kToken, pos)) != std::string_view::npos;
       pos = hit + kToken.size()) {
    out.append(sql.substr(pos, hit - pos));
    out.append(id_collation);
  }
  out.append(sql.substr(pos));
  return out;
}

std::string IdCollationFor(std::string_view server_version) {
  return server_version.find("MariaDB") != std::string_view::npos ? "utf8mb4_nopad_bin"
                                                                  : "utf8mb4_0900_bin";
}

std::string MigrationChecksum(std::string_view sql) {
  Fnv1a64 h;
  h.Add(sql);
  return h.Hex();
}

}  // namespace locus::snapshot
