// Maps what a person typed ("coffee", "Cafés", "bouldring") onto a known activity.
//
// Lifecycle: activities are added as places arrive (Add is idempotent); aliases come from
// config. Not thread-safe: the engine guards it with its model lock.
#pragma once

#include "src/core/types.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace locus {

struct Resolution {
  // The activity, when one matched.
  std::optional<ActivityId> activity;
  // How it matched: "exact", "alias", "words" or "typo"; empty when nothing matched.
  std::string how;
  // Closest known activities when nothing matched (at most 5), best first.
  std::vector<std::string> suggestions;
};

class ActivityResolver {
 public:
  // Popularity of an activity, used to choose among equally good matches.
  using Popularity = std::function<double(const ActivityId&)>;

  // `aliases`: alias text -> activity name as places use it.
  void SetAliases(const std::map<std::string, std::string>& aliases);
  // Makes an activity known. Idempotent.
  void Add(const ActivityId& activity);
  size_t size() const { return activities_.size(); }
  // Known activities whose folded name starts with the folded prefix, most popular first.
  std::vector<ActivityId> Complete(std::string_view prefix, size_t limit,
                                   const Popularity& popularity) const;

  // Resolves free text: exact (after folding case, accents and plurals), then aliases, then
  // every typed word found in the name ("coffee" -> "Coffee Shop"), then small typos.
  Resolution Resolve(std::string_view text, const Popularity& popularity) const;

  // The matching key of a text: folded and singularised.
  static std::string Key(std::string_view text);

 private:
  struct Known {
    ActivityId id;
    std::string key;
    std::vector<std::string> words;
  };
  const ActivityId* Best(const std::vector<size_t>& indices, const Popularity& popularity) const;

  std::vector<Known> activities_;
  std::unordered_map<std::string, std::vector<size_t>> by_key_;
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_map<std::string, std::string> aliases_;  // alias key -> activity name
};

}  // namespace locus
