// The core's only view of durable state: named spaces of key/value bytes, written through a
// batch and read back by scanning. state/ implements these over RocksDB column families;
// tests can implement them over a map. Keys and values are opaque bytes to the store.
#pragma once

#include "src/core/status.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace locus {

// One space per kind of state (a RocksDB column family each).
enum class Space {
  kMeta,           // source offsets, counters, versions
  kPlaces,         // place_id -> place
  kActivityPlace,  // (activity, place) -> decayed popularity
  kUserHistory,    // (user, activity, place) -> the user's own visits
  kProfiles,       // user -> last place and position, area, repeat counts, recent places
  kPlaceProfiles,  // place -> distinct users, events by hour, recent popularity
  kTransitions,    // (from place, to place) -> moves by the same user
  kCovisits,       // (place, place) -> users who visited both
  kLearned,        // learned parameters (blend weights); order-dependent, see DESIGN notes
};
inline constexpr Space kAllSpaces[] = {Space::kMeta,        Space::kPlaces,   Space::kActivityPlace,
                                       Space::kUserHistory, Space::kProfiles, Space::kPlaceProfiles,
                                       Space::kTransitions, Space::kCovisits, Space::kLearned};
const char* SpaceName(Space space);

// Collects changes for one atomic commit. Not thread-safe.
class StateWriter {
 public:
  virtual ~StateWriter() = default;
  virtual void Put(Space space, std::string_view key, std::string_view value) = 0;
  virtual void Delete(Space space, std::string_view key) = 0;
};

// Reads committed state. Scan visits every entry of a space in key order.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual Status Scan(
      Space space,
      const std::function<void(std::string_view key, std::string_view value)>& visit) const = 0;
  virtual std::optional<std::string> Get(Space space, std::string_view key) const = 0;
  // Visits the entries of `space` from the first key not below `start`, in key order, until
  // `visit` returns false or the space ends. This default scans the whole space; a store with
  // ordered reads seeks.
  virtual Status ScanFrom(
      Space space, std::string_view start,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    bool going = true;
    return Scan(space, [&](std::string_view key, std::string_view value) {
      if (going && key >= start) going = visit(key, value);
    });
  }
  // About how many entries `space` holds (RocksDB's estimate: overwrites not yet compacted
  // may count more than once), for sizing tables before a scan fills them; 0 when unknown.
  // Only a hint: nothing may depend on it but capacity.
  virtual uint64_t EntriesHint(Space /*space*/) const { return 0; }
};

}  // namespace locus
