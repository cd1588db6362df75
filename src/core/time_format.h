// Event and request times: RFC 3339 UTC strings and the check-in files' time format.
#pragma once

#include "src/core/types.h"

#include <optional>
#include <string>
#include <string_view>

namespace locus {

// Parses "2012-04-03T18:00:09Z" or "2012-04-03T18:00:09.250Z" (UTC only, fraction up to 9
// digits, truncated to ms). Day-of-month is checked against 01..31 only, like the schema; an
// impossible date such as 02-30 rolls over into the next month. nullopt when malformed.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// Formats as "2012-04-03T18:00:09Z" (".250" added when there are milliseconds).
std::string FormatRfc3339(TimeMs ms);

// The UTC hour of day (0-23) of `ms`, before the epoch too.
inline int UtcHour(TimeMs ms) { return static_cast<int>(((ms / 3'600'000) % 24 + 24) % 24); }

// Parses the check-in files' "Tue Apr 03 18:00:09 +0000 2012". nullopt when malformed.
std::optional<TimeMs> ParseCheckinTime(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace locus
