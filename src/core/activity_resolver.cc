#include "src/core/activity_resolver.h"

#include "src/core/text.h"

#include <algorithm>
#include <limits>

namespace locus {
namespace {

// Typos tolerated in a word of n bytes: none in short words, where one edit makes another word.
size_t TypoLimit(size_t n) { return n <= 3 ? 0 : n <= 7 ? 1 : 2; }

}  // namespace

std::string ActivityResolver::Key(std::string_view text) { return SingularWords(FoldText(text)); }

void ActivityResolver::SetAliases(const std::map<std::string, std::string>& aliases) {
  aliases_.clear();
  for (const auto& [alias, target] : aliases) aliases_[Key(alias)] = target;
}

void ActivityResolver::Add(const ActivityId& activity) {
  if (by_name_.contains(activity.str())) return;
  const size_t index = activities_.size();
  Known known{activity, Key(activity.str()), {}};
  known.words = Words(known.key);
  by_key_[known.key].push_back(index);
  by_name_.emplace(activity.str(), index);
  activities_.push_back(std::move(known));
}

const ActivityId* ActivityResolver::Best(const std::vector<size_t>& indices,
                                         const Popularity& popularity) const {
  const ActivityId* best = nullptr;
  double best_pop = -1;
  for (size_t i : indices) {
    const ActivityId& id = activities_[i].id;
    const double pop = popularity ? popularity(id) : 0;
    if (best == nullptr || pop > best_pop || (pop == best_pop && id.str() < best->str())) {
      best = &id;
      best_pop = pop;
    }
  }
  return best;
}

std::vector<ActivityId> ActivityResolver::Complete(std::string_view prefix, size_t limit,
                                                   const Popularity& popularity) const {
  const std::string key = FoldText(prefix);
  std::vector<std::pair<double, const ActivityId*>> found;
  for (const Known& known : activities_) {
    if (FoldText(known.id.str()).starts_with(key) || known.key.starts_with(key)) {
      found.emplace_back(popularity ? popularity(known.id) : 0, &known.id);
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->str() < b.second->str();
  });
  std::vector<ActivityId> out;
  for (size_t i = 0; i < found.size() && i < limit; ++i) out.push_back(*found[i].second);
  return out;
}

Resolution ActivityResolver::Resolve(std::string_view text, const Popularity& popularity) const {
  Resolution r;
  if (auto it = by_name_.find(std::string(text)); it != by_name_.end()) {
    r.activity = activities_[it->second].id;
    r.how = "exact";
    return r;
  }
  const std::string key = Key(text);
  if (key.empty()) return r;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    r.activity = *Best(it->second, popularity);
    r.how = "exact";
    return r;
  }
  if (auto it = aliases_.find(key); it != aliases_.end()) {
    if (auto known = by_name_.find(it->second); known != by_name_.end()) {
      r.activity = activities_[known->second].id;
      r.how = "alias";
      return r;
    }
  }
  // Every typed word appears in the activity's name; then with small typos per word.
  const std::vector<std::string> words = Words(key);
  for (const bool typos : {false, true}) {
    std::vector<size_t> matches;
    size_t best_cost = std::numeric_limits<size_t>::max();
    for (size_t i = 0; i < activities_.size(); ++i) {
      size_t cost = 0;
      bool all = true;
      for (const std::string& w : words) {
        const size_t limit = typos ? TypoLimit(w.size()) : 0;
        size_t best_word = limit + 1;
        for (const std::string& aw : activities_[i].words) {
          best_word = std::min(best_word, EditDistance(w, aw, limit));
        }
        if (best_word > limit) {
          all = false;
          break;
        }
        cost += best_word;
      }
      // Extra words in the name cost a little, so "bar" prefers "Bar" over "Wine Bar".
      cost = cost * 16 +
             (activities_[i].words.size() - std::min(activities_[i].words.size(), words.size()));
      if (!all) continue;
      if (cost < best_cost) {
        best_cost = cost;
        matches.clear();
      }
      if (cost == best_cost) matches.push_back(i);
    }
    if (!matches.empty()) {
      r.activity = *Best(matches, popularity);
      r.how = typos ? "typo" : "words";
      return r;
    }
  }
  // Nothing matched: suggest the closest names.
  std::vector<std::pair<size_t, size_t>> ranked;  // (distance, index)
  for (size_t i = 0; i < activities_.size(); ++i) {
    ranked.emplace_back(EditDistance(key, activities_[i].key, 64), i);
  }
  std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    const double pa = popularity ? popularity(activities_[a.second].id) : 0;
    const double pb = popularity ? popularity(activities_[b.second].id) : 0;
    if (pa != pb) return pa > pb;
    return activities_[a.second].id.str() < activities_[b.second].id.str();
  });
  for (size_t i = 0; i < ranked.size() && i < 5; ++i) {
    r.suggestions.push_back(activities_[ranked[i].second].id.str());
  }
  return r;
}

}  // namespace locus
