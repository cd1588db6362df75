#include "http/params.h"

#include "src/codec/messages.h"

#include <gtest/gtest.h>

namespace locus::http {
namespace {

TEST(RequestFromParamsTest, NumbersBecomeJsonNumbersAndTheDecoderAcceptsThem) {
  Params p{{"activity", "coffee"},  {"user_id", "u1"},    {"lat", "40.73"},
           {"lon", "-73.99"},       {"radius_km", "2.5"}, {"k", "3"},
           {"at", "1333476009000"}, {"exclude", "p1,p2"}};
  RequestJson r = RequestFromParams(p, "id-1");
  ASSERT_TRUE(r.error.empty()) << r.error;
  Decoded<Query> q = DecodeRequest(r.json);
  ASSERT_TRUE(q.ok()) << q.error << ": " << r.json;
  EXPECT_EQ(q.value->request_id, "id-1");
  EXPECT_EQ(q.value->activity_text, "coffee");
  EXPECT_EQ(q.value->user->str(), "u1");
  EXPECT_DOUBLE_EQ(q.value->position->lat, 40.73);
  EXPECT_DOUBLE_EQ(q.value->position->lon, -73.99);
  EXPECT_DOUBLE_EQ(*q.value->radius_km, 2.5);
  EXPECT_EQ(*q.value->k, 3);
  EXPECT_EQ(*q.value->at, 1333476009000);
  ASSERT_EQ(q.value->exclude.size(), 2u);
  EXPECT_EQ(q.value->exclude[1].str(), "p2");
}

TEST(RequestFromParamsTest, TextWhereANumberBelongsIsReportedByTheDecoder) {
  RequestJson r = RequestFromParams({{"activity", "coffee"}, {"lat", "north"}, {"lon", "1"}}, "x");
  ASSERT_TRUE(r.error.empty());
  Decoded<Query> q = DecodeRequest(r.json);
  EXPECT_FALSE(q.ok());
  EXPECT_NE(q.error.find("lat"), std::string::npos) << q.error;
  Decoded<Query> k = DecodeRequest(RequestFromParams({{"activity", "a"}, {"k", "2.5"}}, "x").json);
  EXPECT_FALSE(k.ok());
  EXPECT_NE(k.error.find("k:"), std::string::npos) << k.error;
}

TEST(RequestFromParamsTest, UnknownRepeatedAndInvalidUtf8ParametersAreErrors) {
  EXPECT_NE(RequestFromParams({{"activity", "a"}, {"colour", "red"}}, "x").error.find("colour"),
            std::string::npos);
  EXPECT_NE(RequestFromParams({{"k", "1"}, {"k", "2"}}, "x").error.find("more than once"),
            std::string::npos);
  EXPECT_NE(RequestFromParams({{"activity", "\xff"}}, "x").error.find("UTF-8"), std::string::npos);
}

TEST(RequestFromParamsTest, EmptyOptionalParametersCountAsAbsent) {
  RequestJson r = RequestFromParams({{"activity", "coffee"}, {"user_id", ""}, {"k", ""}}, "x");
  Decoded<Query> q = DecodeRequest(r.json);
  ASSERT_TRUE(q.ok()) << q.error;
  EXPECT_FALSE(q.value->user.has_value());
  EXPECT_FALSE(q.value->k.has_value());
}

}  // namespace
}  // namespace locus::http
