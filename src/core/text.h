// Text helpers for activity names: UTF-8 checks, folding and edit distance. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace locus {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool ValidUtf8(std::string_view s);

// Number of code points in well-formed UTF-8.
size_t CodePointCount(std::string_view s);

// Folds free text for matching: lower case, Latin accents removed, every run of characters
// that are not letters or digits becomes one space, trimmed. "Café  Bars!" -> "cafe bars".
std::string FoldText(std::string_view s);

// Folds each word to a singular guess: "cafes" -> "cafe", "libraries" -> "library",
// "bars" -> "bar", "glasses" -> "glass". Input is FoldText's output.
std::string SingularWords(std::string_view folded);

// Optimal-string-alignment (Damerau-Levenshtein) distance, bytes; stops early and returns
// limit + 1 once the distance exceeds `limit`.
size_t EditDistance(std::string_view a, std::string_view b, size_t limit);

// Splits folded text on spaces.
std::vector<std::string> Words(std::string_view folded);

// The first `max_points` code points of well-formed UTF-8.
std::string TruncateCodePoints(std::string_view s, size_t max_points);

// Truncates to at most `max_bytes` without cutting a UTF-8 sequence, replacing bytes that are
// not well-formed UTF-8 with U+FFFD so the result is always valid.
std::string SafeUtf8Prefix(std::string_view s, size_t max_bytes);

}  // namespace locus
