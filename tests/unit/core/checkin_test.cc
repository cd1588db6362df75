#include "src/core/checkin.h"

#include "src/core/time_format.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace locus {
namespace {

// The first line of shared/data/foursquare_nyc_ipcm.tsv.xz.
constexpr const char* kLine =
    "829\t4bf00a3b51f2c9b6091cf192\t4bf58dd8d48988d118951735\tFood & Drink Shop\t40.68287734\t"
    "-73.71464218\t-240\tWed Apr 18 23:39:58 +0000 2012";

// kLine with column `index` (0-based) replaced by `value`.
std::string WithColumn(size_t index, const std::string& value) {
  std::string line = kLine;
  size_t start = 0;
  for (size_t i = 0; i < index; ++i) start = line.find('\t', start) + 1;
  size_t end = line.find('\t', start);
  if (end == std::string::npos) end = line.size();
  return line.replace(start, end - start, value);
}

TEST(CheckinTest, ParsesARealLine) {
  const std::optional<Checkin> c = ParseCheckinLine(kLine);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->user, "829");
  EXPECT_EQ(c->venue, "4bf00a3b51f2c9b6091cf192");
  EXPECT_EQ(c->category_id, "4bf58dd8d48988d118951735");
  EXPECT_EQ(c->activity, "Food & Drink Shop");
  EXPECT_DOUBLE_EQ(c->position.lat, 40.68287734);
  EXPECT_DOUBLE_EQ(c->position.lon, -73.71464218);
  EXPECT_EQ(c->tz_offset_min, -240);
  EXPECT_EQ(c->ts, ParseRfc3339("2012-04-18T23:39:58Z"));
}

TEST(CheckinTest, IgnoresATrailingCarriageReturn) {
  const std::optional<Checkin> c = ParseCheckinLine(std::string(kLine) + "\r");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ts, ParseRfc3339("2012-04-18T23:39:58Z"));
}

TEST(CheckinTest, RejectsSevenOrNineColumns) {
  std::string seven = kLine;
  seven.resize(seven.rfind('\t'));
  EXPECT_EQ(ParseCheckinLine(seven), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(std::string(kLine) + "\textra"), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(""), std::nullopt);
}

TEST(CheckinTest, RejectsABadLatitudeOrLongitude) {
  EXPECT_EQ(ParseCheckinLine(WithColumn(4, "91.5")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(4, "north")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(4, "40.5x")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(4, "")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(5, "-181")), std::nullopt);
  EXPECT_TRUE(ParseCheckinLine(WithColumn(4, "-90")).has_value());
}

TEST(CheckinTest, RejectsABadTime) {
  EXPECT_EQ(ParseCheckinLine(WithColumn(7, "2012-04-18T23:39:58Z")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(7, "Wed Apr 18 25:39:58 +0000 2012")), std::nullopt);
}

TEST(CheckinTest, RejectsEmptyIdsAndABadTimezoneOffset) {
  EXPECT_EQ(ParseCheckinLine(WithColumn(0, "")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(1, "")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(3, "")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(6, "-240min")), std::nullopt);
  EXPECT_EQ(ParseCheckinLine(WithColumn(6, "")), std::nullopt);
}

}  // namespace
}  // namespace locus
