// One line of a check-in file (the TSV format of shared/data, EVAL.md "Data").
#pragma once

#include "src/core/types.h"

#include <optional>
#include <string>
#include <string_view>

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

// The event_id of the check-in at `index` (0-based, after sorting by time) of file `path`:
// "<file name without folders and extensions>-<index>". `locus import` and `locus eval` both
// use it, so the live engine and the replay see the very same events.
std::string CheckinEventId(std::string_view path, size_t index);

// The display name of a venue that has none in the check-in files: "<activity> <id prefix>".
std::string CheckinPlaceName(std::string_view activity, std::string_view venue);

// Parses one line (no trailing newline; a trailing '\r' is ignored). nullopt when the line
// does not have 8 well-formed columns.
std::optional<Checkin> ParseCheckinLine(std::string_view line);

}  // namespace locus
