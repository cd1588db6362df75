#include "src/core/time_format.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace locus {
namespace {

constexpr TimeMs kApril3 = 1'333'476'009'000;  // 2012-04-03T18:00:09Z

TEST(TimeFormatTest, ParsesRfc3339WithoutFraction) {
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09Z"), kApril3);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("2000-02-29T23:59:59Z"), 951'868'799'000);
  EXPECT_EQ(ParseRfc3339("9999-12-31T23:59:59Z"), 253'402'300'799'000);
}

TEST(TimeFormatTest, ParsesRfc3339FractionsTruncatedToMilliseconds) {
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.250Z"), kApril3 + 250);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.5Z"), kApril3 + 500);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.07Z"), kApril3 + 70);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.123456789Z"), kApril3 + 123);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.999999Z"), kApril3 + 999);
}

TEST(TimeFormatTest, RejectsMalformedRfc3339) {
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09+00:00"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-13-03T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-00-03T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-32T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-00T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T24:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:60:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:60Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03 18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09.1234567891Z"), std::nullopt);  // 10 digits
  EXPECT_EQ(ParseRfc3339("2012-04-03T18:00:09ZZ"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-04-03"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("2012-4-03T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339("+012-04-03T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339(""), std::nullopt);
}

TEST(TimeFormatTest, FormatsRfc3339WithMillisecondsOnlyWhenThereAreSome) {
  EXPECT_EQ(FormatRfc3339(kApril3), "2012-04-03T18:00:09Z");
  EXPECT_EQ(FormatRfc3339(kApril3 + 250), "2012-04-03T18:00:09.250Z");
  EXPECT_EQ(FormatRfc3339(kApril3 + 7), "2012-04-03T18:00:09.007Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormatTest, FormatThenParseRoundTrips) {
  for (TimeMs t : {TimeMs{0}, TimeMs{1}, TimeMs{999}, kApril3, kApril3 + 1, kApril3 + 250,
                   TimeMs{951'868'799'000}, TimeMs{951'868'800'000}, TimeMs{4'102'444'800'000},
                   TimeMs{253'402'300'799'999}}) {
    const std::string text = FormatRfc3339(t);
    EXPECT_EQ(ParseRfc3339(text), t) << text;
  }
  for (const char* text :
       {"2012-04-03T18:00:09Z", "2016-02-29T00:00:00.001Z", "2100-03-01T12:34:56.789Z"}) {
    const std::optional<TimeMs> t = ParseRfc3339(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(FormatRfc3339(*t), text);
  }
}

TEST(TimeFormatTest, CheckinTimeEqualsTheSameInstantInRfc3339) {
  EXPECT_EQ(ParseCheckinTime("Tue Apr 03 18:00:09 +0000 2012"),
            ParseRfc3339("2012-04-03T18:00:09Z"));
  EXPECT_EQ(ParseCheckinTime("Sat Dec 31 23:59:59 +0000 2011"),
            ParseRfc3339("2011-12-31T23:59:59Z"));
  EXPECT_EQ(ParseCheckinTime("Wed Feb 29 00:00:00 +0000 2012"),
            ParseRfc3339("2012-02-29T00:00:00Z"));
}

TEST(TimeFormatTest, RejectsMalformedCheckinTimes) {
  EXPECT_EQ(ParseCheckinTime("Tue Foo 03 18:00:09 +0000 2012"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime("Tue Apr 03 18:00:09 +0100 2012"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime("Tue Apr 32 18:00:09 +0000 2012"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime("Tue Apr 03 24:00:09 +0000 2012"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime("Tue Apr 3 18:00:09 +0000 2012"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime("2012-04-03T18:00:09Z"), std::nullopt);
  EXPECT_EQ(ParseCheckinTime(""), std::nullopt);
}

TEST(TimeFormatTest, DaysFromCivilCountsFromTheEpoch) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1970, 1, 2), 1);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1) - DaysFromCivil(2000, 2, 28), 2);  // leap year
  EXPECT_EQ(DaysFromCivil(1900, 3, 1) - DaysFromCivil(1900, 2, 28), 1);  // not a leap year
}

}  // namespace
}  // namespace locus
