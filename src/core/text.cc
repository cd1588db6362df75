#include "src/core/text.h"

#include <algorithm>
#include <cstdint>

namespace locus {
namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 when it is not one.
size_t SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t n;
  uint32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
    *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
    *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
    *cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

// ASCII folding of Latin-1 Supplement and Latin Extended-A letters; 0 when not a letter there.
char FoldLatin(uint32_t cp) {
  static const char* kLatin1 =  // U+00C0..U+00FF
      "aaaaaaaceeeeiiiidnooooo.ouuuuyts"
      "aaaaaaaceeeeiiiidnooooo.ouuuuyty";
  if (cp >= 0xC0 && cp <= 0xFF) {
    const char c = kLatin1[cp - 0xC0];
    return c == '.' ? 0 : c;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    // Runs of U+0100..U+017F that fold to one letter each (ĀāĂăĄą -> a, ...).
    static constexpr struct {
      int count;
      char letter;
    } kRuns[] = {{6, 'a'}, {8, 'c'},  {4, 'd'},  {10, 'e'}, {8, 'g'}, {4, 'h'}, {10, 'i'},
                 {4, 'j'}, {3, 'k'},  {10, 'l'}, {9, 'n'},  {8, 'o'}, {6, 'r'}, {8, 's'},
                 {6, 't'}, {12, 'u'}, {2, 'w'},  {3, 'y'},  {6, 'z'}, {1, 's'}};
    uint32_t offset = cp - 0x100;
    for (const auto& run : kRuns) {
      if (offset < static_cast<uint32_t>(run.count)) return run.letter;
      offset -= static_cast<uint32_t>(run.count);
    }
    return 0;
  }
  return 0;
}

// Punctuation and symbol blocks beyond Latin-1 (typographic quotes, dashes, ellipsis, CJK and
// full-width punctuation): separators like ASCII punctuation.
bool IsSeparatorBeyondLatin(uint32_t cp) {
  return (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
         (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
         (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20);
}

}  // namespace

std::string TruncateCodePoints(std::string_view s, size_t max_points) {
  size_t points = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (points == max_points) break;
      ++points;
    }
  }
  return std::string(s.substr(0, i));
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = SequenceLength(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) count += (c & 0xC0) != 0x80;
  return count;
}

std::string FoldText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    size_t n = SequenceLength(s, i, &cp);
    if (n == 0) {
      n = 1;
      cp = 0xFFFD;
    }
    i += n;
    char c = 0;
    if (cp < 0x80) {
      const char a = static_cast<char>(cp);
      if (a >= 'A' && a <= 'Z') c = static_cast<char>(a - 'A' + 'a');
      if ((a >= 'a' && a <= 'z') || (a >= '0' && a <= '9')) c = a;
    } else {
      c = FoldLatin(cp);
    }
    if (c == 0 && cp > 0x17F && cp != 0xFFFD && !IsSeparatorBeyondLatin(cp)) {
      // Other scripts: keep the character as it is (no folding known).
      if (pending_space && !out.empty()) out.push_back(' ');
      pending_space = false;
      out.append(s.substr(i - n, n));
      continue;
    }
    if (c == 0) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> Words(std::string_view folded) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start <= folded.size()) {
    size_t end = folded.find(' ', start);
    if (end == std::string_view::npos) end = folded.size();
    if (end > start) words.emplace_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

std::string SingularWords(std::string_view folded) {
  std::string out;
  for (const std::string& w : Words(folded)) {
    std::string s = w;
    auto ends = [&](std::string_view suffix) {
      return s.size() > suffix.size() + 1 && s.ends_with(suffix);
    };
    if (ends("ies")) {
      s = s.substr(0, s.size() - 3) + "y";
    } else if (ends("sses") || ends("shes") || ends("ches") || ends("xes") || ends("zes")) {
      s.resize(s.size() - 2);
    } else if (ends("s") && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is")) {
      s.pop_back();
    }
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b, size_t limit) {
  const size_t n = a.size();
  const size_t m = b.size();
  if ((n > m ? n - m : m - n) > limit) return limit + 1;
  std::vector<size_t> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = j;
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], limit + 1);
}

std::string SafeUtf8Prefix(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(s.size(), max_bytes));
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = SequenceLength(s, i, &cp);
    const std::string_view piece = n == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, n);
    if (out.size() + piece.size() > max_bytes) break;
    out.append(piece);
    i += n == 0 ? 1 : n;
  }
  return out;
}

}  // namespace locus
