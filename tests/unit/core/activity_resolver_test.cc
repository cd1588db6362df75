#include "src/core/activity_resolver.h"

#include "src/core/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace locus {
namespace {

using ::testing::ElementsAre;

const std::vector<std::string> kActivities = {
    "Caf\xC3\xA9",   "Coffee Shop",    "Bar",     "Wine Bar",     "Cocktail Bar", "Climbing Gym",
    "Climbing Wall", "Bouldering Gym", "Library", "Concert Hall", "Gym",          "Park",
    "Pizza Place",   "Bus Station"};

ActivityResolver MakeResolver(const std::map<std::string, std::string>& aliases = {}) {
  ActivityResolver r;
  r.SetAliases(aliases);
  for (const std::string& a : kActivities) r.Add(ActivityId(a));
  return r;
}

// Popularity from a table; unknown activities count 0.
ActivityResolver::Popularity PopularityOf(std::map<std::string, double> table) {
  return [table = std::move(table)](const ActivityId& a) {
    auto it = table.find(a.str());
    return it == table.end() ? 0.0 : it->second;
  };
}

std::string Resolved(const Resolution& r) { return r.activity ? r.activity->str() : "<none>"; }

TEST(ActivityResolverTest, AddIsIdempotent) {
  ActivityResolver r = MakeResolver();
  r.Add(ActivityId("Bar"));
  r.Add(ActivityId("Coffee Shop"));
  EXPECT_EQ(r.size(), kActivities.size());
  r.Add(ActivityId("Park"));
  EXPECT_EQ(r.Resolve("park", {}).activity, ActivityId("Park"));
}

TEST(ActivityResolverTest, MatchesTheExactNameAsIs) {
  const Resolution r = MakeResolver().Resolve("Coffee Shop", {});
  EXPECT_EQ(Resolved(r), "Coffee Shop");
  EXPECT_EQ(r.how, "exact");
  EXPECT_TRUE(r.suggestions.empty());
}

TEST(ActivityResolverTest, FoldsCaseAccentsAndPlurals) {
  const ActivityResolver r = MakeResolver();
  Resolution res = r.Resolve("caf\xC3\xA9s", {});
  EXPECT_EQ(Resolved(res), "Caf\xC3\xA9");
  EXPECT_EQ(res.how, "exact");
  res = r.Resolve("CAFE", {});
  EXPECT_EQ(Resolved(res), "Caf\xC3\xA9");
  EXPECT_EQ(res.how, "exact");
  res = r.Resolve("COFFEE SHOPS", {});
  EXPECT_EQ(Resolved(res), "Coffee Shop");
  EXPECT_EQ(res.how, "exact");
  res = r.Resolve("  libraries! ", {});
  EXPECT_EQ(Resolved(res), "Library");
  EXPECT_EQ(res.how, "exact");
  res = r.Resolve("wine-bars", {});
  EXPECT_EQ(Resolved(res), "Wine Bar");
  EXPECT_EQ(res.how, "exact");
}

TEST(ActivityResolverTest, FoldsATypographicApostropheLikeAnAsciiOne) {
  ActivityResolver r = MakeResolver();
  r.Add(ActivityId("Women's Store"));
  const Resolution res = r.Resolve("women\xE2\x80\x99s stores", {});  // U+2019 from a phone
  EXPECT_EQ(Resolved(res), "Women's Store");
  EXPECT_EQ(res.how, "exact");
}

TEST(ActivityResolverTest, UsesAnAliasThatNamesAKnownActivity) {
  const ActivityResolver r = MakeResolver({{"coffee", "Coffee Shop"}, {"espresso", "Coffee Shop"}});
  Resolution res = r.Resolve("coffee", {});
  EXPECT_EQ(Resolved(res), "Coffee Shop");
  EXPECT_EQ(res.how, "alias");
  // Aliases are folded like the text: case, accents and plurals.
  res = r.Resolve("Espressos", {});
  EXPECT_EQ(Resolved(res), "Coffee Shop");
  EXPECT_EQ(res.how, "alias");
}

TEST(ActivityResolverTest, IgnoresAnAliasToAnUnknownActivity) {
  const ActivityResolver r = MakeResolver({{"java", "Java House"}});
  const Resolution res = r.Resolve("java", {});
  EXPECT_FALSE(res.activity.has_value()) << Resolved(res);
  EXPECT_EQ(res.how, "");
  EXPECT_FALSE(res.suggestions.empty());
  for (const std::string& s : res.suggestions) EXPECT_NE(s, "Java House");
}

TEST(ActivityResolverTest, ExactNameWinsOverAnAlias) {
  // "bar" is both a known activity and an alias; the activity itself wins.
  const ActivityResolver r = MakeResolver({{"bar", "Cocktail Bar"}});
  const Resolution res = r.Resolve("bars", {});
  EXPECT_EQ(Resolved(res), "Bar");
  EXPECT_EQ(res.how, "exact");
}

TEST(ActivityResolverTest, MatchesAnActivityContainingEveryTypedWord) {
  const ActivityResolver r = MakeResolver();
  Resolution res = r.Resolve("coffee", {});
  EXPECT_EQ(Resolved(res), "Coffee Shop");
  EXPECT_EQ(res.how, "words");
  res = r.Resolve("bouldering", {});
  EXPECT_EQ(Resolved(res), "Bouldering Gym");
  EXPECT_EQ(res.how, "words");
  res = r.Resolve("pizzas", {});
  EXPECT_EQ(Resolved(res), "Pizza Place");
  EXPECT_EQ(res.how, "words");
}

TEST(ActivityResolverTest, WordMatchPrefersTheNameWithFewerExtraWords) {
  // "wine" is only in "Wine Bar"; "bar wine" in any order still names it.
  const ActivityResolver r = MakeResolver();
  EXPECT_EQ(Resolved(r.Resolve("bar wine", {})), "Wine Bar");
}

TEST(ActivityResolverTest, PopularityBreaksTiesBetweenEqualWordMatches) {
  const ActivityResolver r = MakeResolver();
  // "climbing" is in "Climbing Gym" and "Climbing Wall", each with one extra word.
  Resolution res =
      r.Resolve("climbing", PopularityOf({{"Climbing Gym", 5}, {"Climbing Wall", 50}}));
  EXPECT_EQ(Resolved(res), "Climbing Wall");
  EXPECT_EQ(res.how, "words");
  res = r.Resolve("climbing", PopularityOf({{"Climbing Gym", 50}, {"Climbing Wall", 5}}));
  EXPECT_EQ(Resolved(res), "Climbing Gym");
  // Without popularity, the name decides, so the answer is still deterministic.
  EXPECT_EQ(Resolved(r.Resolve("climbing", {})), "Climbing Gym");
}

TEST(ActivityResolverTest, ToleratesSmallTypos) {
  const ActivityResolver r = MakeResolver();
  Resolution res = r.Resolve("cofee shop", {});
  EXPECT_EQ(Resolved(res), "Coffee Shop");
  EXPECT_EQ(res.how, "typo");
  res = r.Resolve("bouldring gym", {});
  EXPECT_EQ(Resolved(res), "Bouldering Gym");
  EXPECT_EQ(res.how, "typo");
  res = r.Resolve("libary", {});
  EXPECT_EQ(Resolved(res), "Library");
  EXPECT_EQ(res.how, "typo");
  res = r.Resolve("cocktial", {});  // transposition
  EXPECT_EQ(Resolved(res), "Cocktail Bar");
  EXPECT_EQ(res.how, "typo");
}

TEST(ActivityResolverTest, GivesShortWordsNoTypoTolerance) {
  const ActivityResolver r = MakeResolver();
  // One edit away from "bar" and "gym", but words of three letters must match exactly.
  EXPECT_FALSE(r.Resolve("bat", {}).activity.has_value());
  EXPECT_FALSE(r.Resolve("gim", {}).activity.has_value());
  EXPECT_FALSE(r.Resolve("wine bat", {}).activity.has_value());
  // Longer words get one typo but not two.
  EXPECT_TRUE(r.Resolve("parc", {}).activity.has_value());
  EXPECT_FALSE(r.Resolve("pxrc", {}).activity.has_value());
}

TEST(ActivityResolverTest, UnknownTextGetsUpToFiveSuggestionsClosestFirst) {
  const ActivityResolver r = MakeResolver();
  const Resolution res = r.Resolve("wine bat", {});
  ASSERT_FALSE(res.activity.has_value());
  EXPECT_EQ(res.how, "");
  ASSERT_EQ(res.suggestions.size(), 5u);
  EXPECT_EQ(res.suggestions.front(), "Wine Bar");
  const std::string key = ActivityResolver::Key("wine bat");
  for (size_t i = 1; i < res.suggestions.size(); ++i) {
    EXPECT_LE(EditDistance(key, ActivityResolver::Key(res.suggestions[i - 1]), 64),
              EditDistance(key, ActivityResolver::Key(res.suggestions[i]), 64))
        << res.suggestions[i - 1] << " before " << res.suggestions[i];
  }
  // Nothing left out is closer than the last suggestion.
  const size_t worst = EditDistance(key, ActivityResolver::Key(res.suggestions.back()), 64);
  for (const std::string& a : kActivities) {
    if (std::find(res.suggestions.begin(), res.suggestions.end(), a) != res.suggestions.end()) {
      continue;
    }
    EXPECT_GE(EditDistance(key, ActivityResolver::Key(a), 64), worst) << a;
  }
}

TEST(ActivityResolverTest, SuggestsFewerWhenFewerAreKnownAndNoneWhenNothingIs) {
  ActivityResolver r;
  r.Add(ActivityId("Park"));
  r.Add(ActivityId("Bar"));
  Resolution res = r.Resolve("zzzzzz", {});
  EXPECT_FALSE(res.activity.has_value());
  EXPECT_EQ(res.suggestions.size(), 2u);
  res = ActivityResolver().Resolve("coffee", {});
  EXPECT_FALSE(res.activity.has_value());
  EXPECT_TRUE(res.suggestions.empty());
}

TEST(ActivityResolverTest, EmptyOrPunctuationOnlyTextResolvesToNothing) {
  const ActivityResolver r = MakeResolver();
  EXPECT_FALSE(r.Resolve("", {}).activity.has_value());
  EXPECT_FALSE(r.Resolve("  ?! ", {}).activity.has_value());
}

TEST(ActivityResolverTest, CompletesAPrefixMostPopularFirst) {
  const ActivityResolver r = MakeResolver();
  const auto popularity =
      PopularityOf({{"Coffee Shop", 10}, {"Cocktail Bar", 30}, {"Concert Hall", 20}});
  EXPECT_THAT(r.Complete("co", 10, popularity),
              ElementsAre(ActivityId("Cocktail Bar"), ActivityId("Concert Hall"),
                          ActivityId("Coffee Shop")));
  EXPECT_THAT(r.Complete("CO", 2, popularity),
              ElementsAre(ActivityId("Cocktail Bar"), ActivityId("Concert Hall")));
  EXPECT_THAT(r.Complete("coff", 10, popularity), ElementsAre(ActivityId("Coffee Shop")));
  // Accents fold in the prefix and in the names.
  EXPECT_THAT(r.Complete("caf\xC3\xA9", 10, popularity), ElementsAre(ActivityId("Caf\xC3\xA9")));
  EXPECT_TRUE(r.Complete("xyz", 10, popularity).empty());
  EXPECT_TRUE(r.Complete("co", 0, popularity).empty());
}

TEST(ActivityResolverTest, CompletionTiesAreOrderedByName) {
  const ActivityResolver r = MakeResolver();
  EXPECT_THAT(r.Complete("cl", 10, {}),
              ElementsAre(ActivityId("Climbing Gym"), ActivityId("Climbing Wall")));
}

}  // namespace
}  // namespace locus
