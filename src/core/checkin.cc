#include "src/core/checkin.h"

#include "src/core/geo.h"
#include "src/core/time_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <string>

namespace locus {

std::string CheckinEventId(std::string_view path, size_t index) {
  std::string_view base = path.substr(path.find_last_of('/') + 1);
  base = base.substr(0, std::min(base.find('.'), size_t{100}));
  return std::string(base) + "-" + std::to_string(index);
}

std::string CheckinPlaceName(std::string_view activity, std::string_view venue) {
  return std::string(activity) + " " + std::string(venue.substr(0, 8));
}

std::optional<Checkin> ParseCheckinLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::array<std::string_view, 8> col;
  size_t start = 0;
  for (size_t i = 0; i < col.size(); ++i) {
    const size_t tab = line.find('\t', start);
    if ((tab == std::string_view::npos) != (i == col.size() - 1)) return std::nullopt;
    col[i] =
        line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
    start = tab + 1;
  }
  Checkin c;
  c.user = std::string(col[0]);
  c.venue = std::string(col[1]);
  c.category_id = std::string(col[2]);
  c.activity = std::string(col[3]);
  if (c.user.empty() || c.venue.empty() || c.activity.empty()) return std::nullopt;
  // strtod needs a terminated string; the columns are short.
  const std::string lat(col[4]), lon(col[5]);
  char* end = nullptr;
  c.position.lat = std::strtod(lat.c_str(), &end);
  if (end == lat.c_str() || *end != '\0') return std::nullopt;
  c.position.lon = std::strtod(lon.c_str(), &end);
  if (end == lon.c_str() || *end != '\0') return std::nullopt;
  if (!ValidPosition(c.position)) return std::nullopt;
  auto [p, ec] = std::from_chars(col[6].data(), col[6].data() + col[6].size(), c.tz_offset_min);
  if (ec != std::errc() || p != col[6].data() + col[6].size()) return std::nullopt;
  auto ts = ParseCheckinTime(col[7]);
  if (!ts) return std::nullopt;
  c.ts = *ts;
  return c;
}

}  // namespace locus
