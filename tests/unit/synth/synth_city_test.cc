#include "src/synth/synth_city.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace locus::synth {
namespace {

std::string Generate(const CityOptions& options) {
  std::ostringstream out;
  WriteCheckins(options, out);
  return out.str();
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.emplace_back(text.substr(begin, end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

std::vector<std::vector<std::string>> Rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> lines = Split(text, '\n');
  EXPECT_TRUE(lines.back().empty()) << "the last line must end in a newline";
  lines.pop_back();
  for (const std::string& line : lines) rows.push_back(Split(line, '\t'));
  return rows;
}

bool IsLowerHex(const std::string& s, size_t length) {
  if (s.size() != length) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsDecimal(const std::string& s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Days since 1970-01-01 (H. Hinnant's days_from_civil), written independently of the
// generator so the test checks the format rather than repeating the code.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Parses "Tue Apr 03 18:00:09 +0000 2012"; checks the weekday name against the date.
int64_t ParseTime(const std::string& text) {
  static const std::string kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  static const std::string kDays = "ThuFriSatSunMonTueWed";  // from 1970-01-01, a Thursday
  const std::vector<std::string> parts = Split(text, ' ');
  EXPECT_EQ(parts.size(), 6u) << text;
  if (parts.size() != 6) return -1;
  EXPECT_EQ(parts[4], "+0000") << text;
  const size_t month = kMonths.find(parts[1]);
  EXPECT_TRUE(month != std::string::npos && month % 3 == 0) << text;
  const int64_t days = DaysFromCivil(std::stoll(parts[5]), static_cast<int64_t>(month / 3 + 1),
                                     std::stoll(parts[2]));
  EXPECT_EQ(kDays.substr(static_cast<size_t>(((days % 7) + 7) % 7) * 3, 3), parts[0]) << text;
  EXPECT_EQ(parts[3].size(), 8u) << text;
  const int64_t seconds = std::stoll(parts[3].substr(0, 2)) * 3600 +
                          std::stoll(parts[3].substr(3, 2)) * 60 +
                          std::stoll(parts[3].substr(6, 2));
  return days * 86400 + seconds;
}

double HaversineKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad, dlon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * 6371.0088 * std::asin(std::sqrt(a));
}

CityOptions Small() {
  CityOptions options;
  options.places = 600;
  options.users = 120;
  options.checkins = 6000;
  return options;
}

TEST(SynthCityTest, SameSeedGivesTheSameBytes) { EXPECT_EQ(Generate(Small()), Generate(Small())); }

TEST(SynthCityTest, DifferentSeedGivesADifferentStream) {
  CityOptions other = Small();
  other.seed = 8;
  EXPECT_NE(Generate(Small()), Generate(other));
}

TEST(SynthCityTest, WritesTheRequestedRowsInTheCheckinFormat) {
  const CityOptions options = Small();
  const auto rows = Rows(Generate(options));
  ASSERT_EQ(rows.size(), static_cast<size_t>(options.checkins));
  std::set<std::string> names;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), 8u);
    EXPECT_TRUE(IsDecimal(row[0])) << row[0];
    EXPECT_GE(std::stoi(row[0]), 1);
    EXPECT_LE(std::stoi(row[0]), options.users);
    EXPECT_TRUE(IsLowerHex(row[1], 24)) << row[1];
    EXPECT_TRUE(IsLowerHex(row[2], 24)) << row[2];
    EXPECT_FALSE(row[3].empty());
    EXPECT_EQ(row[6], "-240");
    names.insert(row[3]);
  }
  EXPECT_GE(names.size(), 40u);
  EXPECT_TRUE(names.count("Caf\xC3\xA9")) << "Café in UTF-8";
  EXPECT_TRUE(names.count("Home (private)"));
}

TEST(SynthCityTest, RowsAreSortedByTimeFromTheStart) {
  const CityOptions options = Small();
  const auto rows = Rows(Generate(options));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows.front()[7], "Tue Apr 03 18:00:00 +0000 2012");
  int64_t previous = options.start_epoch_s;
  int night = 0;  // local 3:00-5:59
  for (const auto& row : rows) {
    const int64_t t = ParseTime(row[7]);
    EXPECT_GE(t, previous) << row[7];
    previous = t;
    const int64_t local_hour = ((t - 4 * 3600) % 86400) / 3600;
    night += local_hour >= 3 && local_hour <= 5;
  }
  // The daily rhythm: the small hours are quiet.
  EXPECT_LT(night, options.checkins / 20);
}

TEST(SynthCityTest, EveryPlaceIsWithinTheRadius) {
  CityOptions options = Small();
  options.center_lat = 48.8566;
  options.center_lon = 2.3522;
  options.radius_km = 8;
  for (const auto& row : Rows(Generate(options))) {
    const double d =
        HaversineKm(options.center_lat, options.center_lon, std::stod(row[4]), std::stod(row[5]));
    EXPECT_LE(d, options.radius_km) << row[4] << "," << row[5];
  }
}

TEST(SynthCityTest, EveryVenueKeepsItsActivityAndCoordinates) {
  std::map<std::string, std::vector<std::string>> venues;  // id -> category id, name, lat, lon
  std::map<std::string, std::string> category_of_name;
  for (const auto& row : Rows(Generate(Small()))) {
    const std::vector<std::string> fields = {row[2], row[3], row[4], row[5]};
    const auto [it, fresh] = venues.emplace(row[1], fields);
    if (!fresh) {
      EXPECT_EQ(it->second, fields) << row[1];
    }
    const auto [name_it, new_name] = category_of_name.emplace(row[3], row[2]);
    if (!new_name) {
      EXPECT_EQ(name_it->second, row[2]) << row[3];
    }
  }
  EXPECT_GT(venues.size(), 100u);
}

TEST(SynthCityTest, CategoryIdsDependOnTheNameOnly) {
  CityOptions other = Small();
  other.seed = 99;
  std::map<std::string, std::string> ids;
  for (const auto& row : Rows(Generate(Small()))) ids[row[3]] = row[2];
  for (const auto& row : Rows(Generate(other))) {
    if (ids.count(row[3])) {
      EXPECT_EQ(ids[row[3]], row[2]) << row[3];
    }
  }
}

TEST(SynthCityTest, UsersReturnToPlacesTheyKnow) {
  const auto rows = Rows(Generate(Small()));
  std::set<std::pair<std::string, std::string>> seen;
  size_t repeats = 0;
  for (const auto& row : rows) repeats += !seen.emplace(row[0], row[1]).second;
  const double share = static_cast<double>(repeats) / static_cast<double>(rows.size());
  EXPECT_GE(share, 0.3);
  EXPECT_LE(share, 0.9);
}

TEST(SynthCityTest, TinyAndEmptyCitiesWork) {
  CityOptions options;
  options.places = 3;
  options.users = 1;
  options.checkins = 50;
  const auto rows = Rows(Generate(options));
  EXPECT_EQ(rows.size(), 50u);
  std::set<std::string> venues;
  for (const auto& row : rows) venues.insert(row[1]);
  EXPECT_LE(venues.size(), 3u);

  options.checkins = 0;
  EXPECT_EQ(Generate(options), "");
}

}  // namespace
}  // namespace locus::synth
