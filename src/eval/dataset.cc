#include "src/eval/dataset.h"

#include "src/core/checkin.h"
#include "src/io/line_reader.h"

#include <algorithm>
#include <unordered_map>

namespace locus::eval {
namespace {

uint32_t Intern(std::unordered_map<std::string, uint32_t>& index, std::vector<std::string>& names,
                const std::string& name, bool* added = nullptr) {
  auto [it, inserted] = index.emplace(name, static_cast<uint32_t>(names.size()));
  if (inserted) names.push_back(name);
  if (added != nullptr) *added = inserted;
  return it->second;
}

}  // namespace

Result<Dataset> LoadCheckins(const std::string& path) {
  auto reader = LineReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<Checkin> checkins;
  Dataset d;
  d.name = path.substr(path.find_last_of('/') + 1);
  d.path = path;
  std::string line;
  while ((*reader)->Next(line)) {
    if (line.empty()) continue;
    if (auto c = ParseCheckinLine(line)) {
      checkins.push_back(std::move(*c));
    } else {
      ++d.malformed_lines;
    }
  }
  if (!(*reader)->error().empty()) return Status::Error(path + ": " + (*reader)->error());
  std::stable_sort(checkins.begin(), checkins.end(),
                   [](const Checkin& a, const Checkin& b) { return a.ts < b.ts; });

  std::unordered_map<std::string, uint32_t> users, venues, activities;
  d.rows.reserve(checkins.size());
  for (const Checkin& c : checkins) {
    Row r;
    r.user = Intern(users, d.users, c.user);
    bool new_venue = false;
    r.venue = Intern(venues, d.venues, c.venue, &new_venue);
    r.activity = Intern(activities, d.activities, c.activity);
    r.position = c.position;
    r.ts = c.ts;
    if (new_venue) {
      d.venue_activity.push_back(r.activity);
      d.venue_position.push_back(r.position);
    }
    d.rows.push_back(r);
  }
  return d;
}

}  // namespace locus::eval
