#include "src/core/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locus {
namespace {

TEST(TextTest, ValidUtf8AcceptsWellFormedTextOfEveryLength) {
  EXPECT_TRUE(ValidUtf8(""));
  EXPECT_TRUE(ValidUtf8("plain ascii"));
  EXPECT_TRUE(ValidUtf8("caf\xC3\xA9"));                   // é, 2 bytes
  EXPECT_TRUE(ValidUtf8("\xE2\x82\xAC"));                  // €, 3 bytes
  EXPECT_TRUE(ValidUtf8("\xF0\x9D\x84\x9E"));              // 𝄞, 4 bytes
  EXPECT_TRUE(ValidUtf8("\xF4\x8F\xBF\xBF"));              // U+10FFFF, the last code point
  EXPECT_TRUE(ValidUtf8("\xEF\xBF\xBD"));                  // U+FFFD
  EXPECT_TRUE(ValidUtf8(std::string("nul\0inside", 10)));  // U+0000 is a code point
}

TEST(TextTest, ValidUtf8RejectsOverlongEncodings) {
  EXPECT_FALSE(ValidUtf8("\xC0\xAF"));          // '/' in 2 bytes
  EXPECT_FALSE(ValidUtf8("\xC1\xBF"));          // U+007F in 2 bytes
  EXPECT_FALSE(ValidUtf8("\xE0\x80\xAF"));      // '/' in 3 bytes
  EXPECT_FALSE(ValidUtf8("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
  EXPECT_FALSE(ValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
}

TEST(TextTest, ValidUtf8RejectsSurrogates) {
  EXPECT_FALSE(ValidUtf8("\xED\xA0\x80"));  // U+D800
  EXPECT_FALSE(ValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  EXPECT_TRUE(ValidUtf8("\xED\x9F\xBF"));   // U+D7FF, just below
  EXPECT_TRUE(ValidUtf8("\xEE\x80\x80"));   // U+E000, just above
}

TEST(TextTest, ValidUtf8RejectsTruncatedSequencesAndStrayBytes) {
  EXPECT_FALSE(ValidUtf8("\xC3"));
  EXPECT_FALSE(ValidUtf8("\xE2\x82"));
  EXPECT_FALSE(ValidUtf8("\xF0\x9D\x84"));
  EXPECT_FALSE(ValidUtf8("ok \xE2\x82 then more"));
  EXPECT_FALSE(ValidUtf8("\x80"));                  // lone continuation byte
  EXPECT_FALSE(ValidUtf8("\xF8\x88\x80\x80\x80"));  // 5-byte form
  EXPECT_FALSE(ValidUtf8("\xFF"));
}

TEST(TextTest, ValidUtf8RejectsCodePointsAboveU10FFFF) {
  EXPECT_FALSE(ValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(ValidUtf8("\xF7\xBF\xBF\xBF"));  // U+1FFFFF
}

TEST(TextTest, CodePointCountCountsCharactersNotBytes) {
  EXPECT_EQ(CodePointCount(""), 0u);
  EXPECT_EQ(CodePointCount("abc"), 3u);
  EXPECT_EQ(CodePointCount("caf\xC3\xA9"), 4u);
  EXPECT_EQ(CodePointCount("\xE2\x82\xAC"
                           "5"),
            2u);
  EXPECT_EQ(CodePointCount("\xF0\x9D\x84\x9E\xF0\x9D\x84\x9E"), 2u);
}

TEST(TextTest, FoldTextLowersRemovesAccentsAndCollapsesPunctuation) {
  EXPECT_EQ(FoldText("Caf\xC3\xA9  Bars!"), "cafe bars");
  EXPECT_EQ(FoldText("  COFFEE---Shop  "), "coffee shop");
  EXPECT_EQ(FoldText("\xC3\x80\xC3\x89\xC3\x8E\xC3\x95\xC3\x9C"), "aeiou");  // ÀÉÎÕÜ
  EXPECT_EQ(FoldText("\xC5\x81\xC3\xB3\x64\xC5\xBA"), "lodz");               // Łódź
  EXPECT_EQ(FoldText("24/7 Deli"), "24 7 deli");
  EXPECT_EQ(FoldText("!!!"), "");
  EXPECT_EQ(FoldText(""), "");
}

TEST(TextTest, FoldTextKeepsOtherScriptsAsWritten) {
  // 東京 stays as it is; the Latin part is folded.
  EXPECT_EQ(FoldText("\xE6\x9D\xB1\xE4\xBA\xAC Caf\xC3\xA9"), "\xE6\x9D\xB1\xE4\xBA\xAC cafe");
}

TEST(TextTest, FoldTextTurnsPunctuationBeyondLatin1IntoSpaces) {
  // Typographic apostrophes, dashes, ellipses and no-break spaces are not letters either:
  // "Women’s Store" typed on a phone must fold like "Women's Store".
  EXPECT_EQ(FoldText("Women\xE2\x80\x99s Store"), FoldText("Women's Store"));  // U+2019
  EXPECT_EQ(FoldText("Caf\xC3\xA9 \xE2\x80\x94 Bar"), "cafe bar");             // U+2014
  EXPECT_EQ(FoldText("\xE2\x80\x9CPizza\xE2\x80\x9D\xE2\x80\xA6"), "pizza");   // “Pizza”…
}

TEST(TextTest, SingularWordsGuessesEnglishSingulars) {
  EXPECT_EQ(SingularWords("libraries"), "library");
  EXPECT_EQ(SingularWords("glasses"), "glass");
  EXPECT_EQ(SingularWords("cafes"), "cafe");
  EXPECT_EQ(SingularWords("bars"), "bar");
  EXPECT_EQ(SingularWords("churches"), "church");
  EXPECT_EQ(SingularWords("boxes"), "box");
  EXPECT_EQ(SingularWords("coffee shops"), "coffee shop");
  EXPECT_EQ(SingularWords("wine bars and libraries"), "wine bar and library");
  EXPECT_EQ(SingularWords("glass"), "glass");
  EXPECT_EQ(SingularWords(""), "");
}

TEST(TextTest, SingularWordsKeepsBus) {
  // Words ending in "us" are not plurals, three-letter ones included.
  EXPECT_EQ(SingularWords("bus"), "bus");
  EXPECT_EQ(SingularWords("bus station"), "bus station");
  EXPECT_EQ(SingularWords("campus"), "campus");
}

TEST(TextTest, EditDistanceCountsATranspositionAsOneEdit) {
  EXPECT_EQ(EditDistance("ab", "ba", 5), 1u);
  EXPECT_EQ(EditDistance("coffee", "cofefe", 5), 1u);
  EXPECT_EQ(EditDistance("coffee", "cofee", 5), 1u);  // deletion
  EXPECT_EQ(EditDistance("kitten", "sitting", 5), 3u);
  EXPECT_EQ(EditDistance("", "abc", 5), 3u);
  EXPECT_EQ(EditDistance("same", "same", 0), 0u);
}

TEST(TextTest, EditDistanceStopsAtLimitPlusOne) {
  EXPECT_EQ(EditDistance("kitten", "sitting", 1), 2u);
  EXPECT_EQ(EditDistance("kitten", "sitting", 2), 3u);  // 3 > 2 -> limit + 1
  EXPECT_EQ(EditDistance("a", "abcdef", 2), 3u);        // length difference alone
  EXPECT_EQ(EditDistance("abcdef", "uvwxyz", 0), 1u);
  EXPECT_EQ(EditDistance("ab", "ba", 0), 1u);
}

TEST(TextTest, WordsSplitsOnSpaces) {
  EXPECT_EQ(Words("coffee shop"), (std::vector<std::string>{"coffee", "shop"}));
  EXPECT_EQ(Words(""), std::vector<std::string>{});
  EXPECT_EQ(Words("one"), std::vector<std::string>{"one"});
}

TEST(TextTest, SafeUtf8PrefixNeverCutsASequence) {
  const std::string s = "h\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E!";  // h é € 𝄞 !
  EXPECT_EQ(SafeUtf8Prefix(s, 0), "");
  EXPECT_EQ(SafeUtf8Prefix(s, 1), "h");
  EXPECT_EQ(SafeUtf8Prefix(s, 2), "h");
  EXPECT_EQ(SafeUtf8Prefix(s, 3), "h\xC3\xA9");
  EXPECT_EQ(SafeUtf8Prefix(s, 5), "h\xC3\xA9");
  EXPECT_EQ(SafeUtf8Prefix(s, 6), "h\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(SafeUtf8Prefix(s, 9), "h\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(SafeUtf8Prefix(s, 10), "h\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E");
  EXPECT_EQ(SafeUtf8Prefix(s, 100), s);
  for (size_t n = 0; n <= s.size() + 1; ++n) {
    const std::string p = SafeUtf8Prefix(s, n);
    EXPECT_LE(p.size(), n);
    EXPECT_TRUE(ValidUtf8(p)) << "prefix of " << n << " bytes";
    EXPECT_EQ(s.compare(0, p.size(), p), 0) << "prefix of " << n << " bytes";
  }
}

TEST(TextTest, SafeUtf8PrefixReplacesBadBytes) {
  EXPECT_EQ(SafeUtf8Prefix("ab\xFF"
                           "cd",
                           100),
            "ab\xEF\xBF\xBD"
            "cd");
  EXPECT_EQ(SafeUtf8Prefix("\xE2\x82", 100), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated €
  EXPECT_EQ(SafeUtf8Prefix("\xED\xA0\x80", 100), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  // The replacement is 3 bytes: it is left out rather than cut when it does not fit.
  EXPECT_EQ(SafeUtf8Prefix("a\xFF", 3), "a");
  const std::string bad = "x\xC0\xAF\xF4\x90\x80\x80y\xC3";
  for (size_t n = 0; n <= 40; ++n) {
    const std::string p = SafeUtf8Prefix(bad, n);
    EXPECT_LE(p.size(), n);
    EXPECT_TRUE(ValidUtf8(p)) << "prefix of " << n << " bytes";
  }
}

}  // namespace
}  // namespace locus
