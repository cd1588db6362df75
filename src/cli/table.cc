#include "src/cli/table.h"

#include "src/core/text.h"

#include <cstdio>
#include <string>

namespace locus::cli {
namespace {

// Pads or cuts UTF-8 text to `width` code points.
std::string Cell(const std::string& s, size_t width) {
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < s.size() && points < width; ++points) {
    size_t n = 1;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0)
      n = 4;
    else if (c >= 0xE0)
      n = 3;
    else if (c >= 0xC0)
      n = 2;
    out.append(s, i, n);
    i += n;
  }
  if (points < width) out.append(width - points, ' ');
  return out;
}

}  // namespace

void PrintAnswer(const Query& q, const Answer& a, std::ostream& out) {
  out << "\n\"" << q.activity_text << "\"";
  if (q.user) out << " for user " << q.user->str();
  if (q.position) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " at %.5f,%.5f", q.position->lat, q.position->lon);
    out << buf;
  }
  if (!a.ok) {
    out << "\n  error: " << a.error << "\n";
    if (!a.suggestions.empty()) {
      out << "  known activities close to it:";
      for (const auto& s : a.suggestions) out << " \"" << s << "\"";
      out << "\n";
    }
    return;
  }
  char head[160];
  std::snprintf(head, sizeof head, " -> %s  (%zu places, %.2f ms, model %s)\n", a.activity.c_str(),
                a.items.size(), a.took_ms, a.model_version.c_str());
  out << head;
  out << "   #  " << Cell("place", 34) << Cell("id", 26) << "  score     km  reasons\n";
  int rank = 0;
  for (const ScoredPlace& item : a.items) {
    char nums[64];
    if (item.distance_km) {
      std::snprintf(nums, sizeof nums, "%7.3f %6.2f", item.score, *item.distance_km);
    } else {
      std::snprintf(nums, sizeof nums, "%7.3f %6s", item.score, "-");
    }
    std::string reasons;
    for (const auto& r : item.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    char idx[16];
    std::snprintf(idx, sizeof idx, "%4d", ++rank);
    out << idx << "  " << Cell(item.name, 34) << Cell(item.place.str(), 26) << nums << "  "
        << reasons << "\n";
  }
  if (a.items.empty()) out << "   (no places known for this activity yet)\n";
}

}  // namespace locus::cli
