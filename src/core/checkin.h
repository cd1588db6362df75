// One line of a check-in file (the TSV format of shared/data, EVAL.md "Data").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/core/types.h"

namespace locus {

struct Checkin {
  std::string user;
  std::string venue;
  std::string category_id;
  std::string activity;  // the category name
  GeoPoint position;
  int tz_offset_min = 0;
  TimeMs ts = 0;
};

// Parses one line (no trailing newline; a trailing '\r' is ignored). nullopt when the line
// does not have 8 well-formed columns.
std::optional<Checkin> ParseCheckinLine(std::string_view line);

}  // namespace locus
