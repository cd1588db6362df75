#include "src/eval/ratings.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace locus::eval {
namespace {

using Records = std::vector<std::vector<std::string>>;

Records MustParse(std::string_view bytes) {
  auto r = ParseCsv(bytes);
  EXPECT_TRUE(r.ok()) << r.error();
  return r.ok() ? *r : Records{};
}

TEST(CsvParserTest, SplitsQuotedFieldsWithCommasDoubledQuotesAndNewlines) {
  Records r = MustParse("id,name,note\n1,\"Tacos, \"\"El Güero\"\"\",\"two\nlines\"\n2,plain,\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1], (std::vector<std::string>{"1", "Tacos, \"El Güero\"", "two\nlines"}));
  EXPECT_EQ(r[2], (std::vector<std::string>{"2", "plain", ""}));
}

TEST(CsvParserTest, KeepsLatin1AndUtf8BytesAsTheyAre) {
  // geoplaces2.csv mixes both: "Rinc\xF3n" (Latin-1) and "Rinc\xC3\xB3n" (UTF-8).
  Records r = MustParse("135106,El Rinc\xF3n de San Francisco\n132845,Rinc\xC3\xB3n\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][1], "El Rinc\xF3n de San Francisco");
  EXPECT_EQ(r[0][1].size(), 26u);  // one byte for the ó
  EXPECT_EQ(r[1][1], "Rinc\xC3\xB3n");
}

TEST(CsvParserTest, AcceptsCrlfAndAMissingFinalNewlineAndSkipsBlankLines) {
  Records r = MustParse("a,b\r\n\r\n1,2");
  EXPECT_EQ(r, (Records{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvParserTest, ReportsAQuoteThatNeverCloses) {
  auto r = ParseCsv("a,\"open\n1,2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("never closes"), std::string::npos);
}

TEST(RatingsSplitTest, IsDeterministicEightyTwentyAndNotAPrefix) {
  const RatingsSplit a = SplitRatings(1161), b = SplitRatings(1161);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.train.size(), 928u);  // floor(0.8 × 1161)
  EXPECT_EQ(a.test.size(), 233u);
  std::set<uint32_t> all(a.train.begin(), a.train.end());
  all.insert(a.test.begin(), a.test.end());
  EXPECT_EQ(all.size(), 1161u);
  EXPECT_EQ(*all.rbegin(), 1160u);
  EXPECT_LT(a.test.front(), 928u);  // shuffled, not the last rows
  EXPECT_NE(SplitRatings(1161, 43).test, a.test);
}

TEST(RatingsSplitTest, IsTheSameOnEveryPlatform) {
  // Pinned from splitmix64((42 << 32) + row): any change of the split breaks comparability.
  const RatingsSplit s = SplitRatings(20);
  EXPECT_EQ(s.train.size(), 16u);
  EXPECT_EQ(s.test, (std::vector<uint32_t>{0, 8, 9, 13}));
}

RatingsData SyntheticTable(const std::vector<double>& user_bias,
                           const std::vector<double>& place_bias, double mu) {
  RatingsData d;
  for (size_t u = 0; u < user_bias.size(); ++u) d.users.push_back("U" + std::to_string(u));
  for (size_t p = 0; p < place_bias.size(); ++p) d.places.push_back(std::to_string(p));
  for (uint32_t u = 0; u < user_bias.size(); ++u) {
    for (uint32_t p = 0; p < place_bias.size(); ++p) {
      const double r = mu + user_bias[u] + place_bias[p];
      d.rows.push_back({u, p, r, r, r});
    }
  }
  return d;
}

std::vector<uint32_t> AllRows(const RatingsData& d) {
  std::vector<uint32_t> rows(d.rows.size());
  for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return rows;
}

TEST(BiasBaselineTest, RecoversKnownBiasesOnACompleteTableWithoutShrinkage) {
  const std::vector<double> bu = {0.3, -0.1, -0.2}, bi = {0.4, 0.0, -0.15, -0.25};
  const RatingsData d = SyntheticTable(bu, bi, 1.0);
  const BiasModel m = FitBiases(d, AllRows(d), &RatingRow::rating, {.lambda = 0, .passes = 5});
  EXPECT_NEAR(m.mu, 1.0, 1e-12);
  for (size_t u = 0; u < bu.size(); ++u) EXPECT_NEAR(m.user[u], bu[u], 1e-9);
  for (size_t p = 0; p < bi.size(); ++p) EXPECT_NEAR(m.place[p], bi[p], 1e-9);
  EXPECT_NEAR(m.Predict(0, 0), 1.7, 1e-9);
}

TEST(BiasBaselineTest, ShrinksBiasesTowardsZeroWithLambda) {
  const RatingsData d = SyntheticTable({0.3, -0.3}, {0.5, -0.5}, 1.0);
  const BiasModel m = FitBiases(d, AllRows(d));  // lambda = 10 on 2 ratings per side
  EXPECT_GT(m.place[0], 0.0);
  EXPECT_LT(m.place[0], 0.5 * 2 / 12 + 1e-9);
  EXPECT_LT(std::abs(m.user[0]), 0.3);
}

TEST(RatingMetricsTest, ComputesRmseAndMaeOnAHandMadeExample) {
  const std::vector<double> predicted = {1, 2, 0, 1.5}, actual = {0, 2, 1, 1};
  const ErrorMetrics m = ScoreRatings(predicted, actual);  // errors 1, 0, -1, 0.5
  EXPECT_EQ(m.n, 4);
  EXPECT_DOUBLE_EQ(m.rmse, 0.75);  // sqrt(2.25 / 4)
  EXPECT_DOUBLE_EQ(m.mae, 0.625);  // 2.5 / 4
  EXPECT_EQ(ScoreRatings({}, {}).rmse, 0.0);
}

TEST(ParseRatingsTest, JoinsSideInformationByIdAndKeepsNameBytes) {
  RatingsFiles f;
  f.rating_final = "userID,placeID,rating,food_rating,service_rating\nU1,P1,2,1,0\nU2,P2,0,0,0\n";
  f.geoplaces =
      "placeID,latitude,longitude,name,price\nP2,22.1,-100.9,\"Caf\xE9, Centro\",low\n"
      "P1,22.2,-100.8,Tacos,high\nP9,1,1,Unrated,medium\n";
  f.chefmozcuisine = "placeID,Rcuisine\nP1,Mexican\nP1,Bar\nP1,Mexican\nP9,Sushi\n";
  f.usercuisine = "userID,Rcuisine\nU2,Bar\n";
  f.userprofile = "userID,latitude,longitude\nU1,22.15,-100.95\nU2,?,?\n";
  auto d = ParseRatings(f);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->users, (std::vector<std::string>{"U1", "U2"}));
  EXPECT_EQ(d->places, (std::vector<std::string>{"P1", "P2"}));
  EXPECT_EQ(d->rows[0].food, 1);
  EXPECT_EQ(d->place_names[1], "Caf\xE9, Centro");
  EXPECT_DOUBLE_EQ(d->place_position[0]->lat, 22.2);
  EXPECT_EQ(d->cuisines, (std::vector<std::string>{"Mexican", "Bar"}));  // Sushi: unrated place
  EXPECT_EQ(d->place_cuisines[0], (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(d->place_cuisines[1].empty());
  EXPECT_EQ(d->user_cuisines[1], (std::vector<uint32_t>{1}));
  EXPECT_TRUE(d->user_home[0].has_value());
  EXPECT_FALSE(d->user_home[1].has_value());
  // price values high < low < medium: "high" is the reference level.
  EXPECT_EQ(d->attributes, (std::vector<std::string>{"price=low", "price=medium"}));
  EXPECT_TRUE(d->place_attributes[0].empty());
  EXPECT_EQ(d->place_attributes[1], (std::vector<uint32_t>{0}));
}

TEST(ParseRatingsTest, RejectsARatingOutsideZeroToTwoNamingTheRecord) {
  RatingsFiles f;
  f.rating_final = "userID,placeID,rating,food_rating,service_rating\nU1,P1,2,1,0\nU1,P2,5,1,1\n";
  auto d = ParseRatings(f);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().find("record 2"), std::string::npos) << d.error();
}

TEST(RatingsReportTest, JsonHasTheDocumentedShape) {
  RatingsReport r;
  r.n_train = 8;
  r.n_test = 2;
  r.methods = {{"global_mean", {2, 0.5, 0.25}}, {"bias", {2, 0.4, 0.2}}, {"locus", {2, 0.3, 0.1}}};
  const auto j = nlohmann::json::parse(RatingsJson(r));
  EXPECT_EQ(j["dataset"], "uci_restaurants");
  EXPECT_EQ(j["split"]["seed"], 42);
  EXPECT_EQ(j["split"]["train"], 8);
  EXPECT_EQ(j["split"]["test"], 2);
  EXPECT_DOUBLE_EQ(j["methods"]["locus"]["rmse"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(j["methods"]["bias"]["mae"].get<double>(), 0.2);
}

const std::string kUciDir = LOCUS_SOURCE_DIR "/../shared/data/uci_restaurants";

TEST(UciRestaurantsTest, LoadsEveryRatingAndTheLatin1Name) {
  if (!IsRatingsDir(kUciDir)) GTEST_SKIP() << "no " << kUciDir;
  auto d = LoadRatings(kUciDir);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->rows.size(), 1161u);
  EXPECT_EQ(d->users.size(), 138u);
  EXPECT_EQ(d->places.size(), 130u);
  size_t with_cuisine = 0, with_position = 0, with_home = 0;
  for (size_t p = 0; p < d->places.size(); ++p) {
    with_cuisine += !d->place_cuisines[p].empty();
    with_position += d->place_position[p].has_value();
    if (d->places[p] == "135106") {
      EXPECT_EQ(d->place_names[p], "El Rinc\xF3n de San Francisco");
    }
  }
  for (const auto& h : d->user_home) with_home += h.has_value();
  EXPECT_EQ(with_cuisine, 95u);  // README: only 95 of the 130 rated restaurants have a cuisine
  EXPECT_EQ(with_position, 130u);
  EXPECT_EQ(with_home, 138u);
}

TEST(UciRestaurantsTest, LocusBeatsBothBaselinesOnRmseAndMae) {
  if (!IsRatingsDir(kUciDir)) GTEST_SKIP() << "no " << kUciDir;
  auto r = EvaluateRatings(kUciDir);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->n_train, 928);
  EXPECT_EQ(r->n_test, 233);
  ASSERT_EQ(r->methods.size(), 3u);
  const ErrorMetrics& global = r->methods[0].test;
  const ErrorMetrics& bias = r->methods[1].test;
  const ErrorMetrics& locus = r->methods[2].test;
  EXPECT_LT(bias.rmse, global.rmse);
  EXPECT_LT(locus.rmse, bias.rmse - 0.02);
  EXPECT_LT(locus.mae, bias.mae - 0.05);
  EXPECT_LT(locus.rmse, global.rmse);
  EXPECT_LT(locus.mae, global.mae);
}

}  // namespace
}  // namespace locus::eval
