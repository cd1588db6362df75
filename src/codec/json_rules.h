// Checks of the schemas' shared rules over a parsed JSON object. Internal to src/codec.
// Each check returns an error text naming the field, or an empty string when the rule holds.
#pragma once

#include "src/core/types.h"

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace locus::codec {

using Json = nlohmann::json;

// The latest time an event may carry as epoch milliseconds: 9999-12-31T23:59:59.999Z.
inline constexpr int64_t kMaxEpochMs = 253402300799999;

// Parses `bytes` as a JSON object within the size limit, or says why not (code + message).
struct Parsed {
  Json json;
  std::string code;
  std::string error;
};
Parsed ParseObject(std::string_view bytes);

// Walks one object: unknown keys, required keys, typed getters that record the first error.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::initializer_list<std::string_view> allowed,
               std::initializer_list<std::string_view> required);

  bool has(std::string_view key) const { return object_.contains(key); }
  const Json& at(std::string_view key) const { return object_.at(key); }

  std::string Id(std::string_view key);
  std::string Text(std::string_view key, size_t min_points, size_t max_points);
  std::optional<double> Number(std::string_view key, double min, double max,
                               bool exclusive_min = false);
  std::optional<int64_t> Integer(std::string_view key, int64_t min, int64_t max);
  std::optional<TimeMs> Time(std::string_view key);
  std::optional<GeoPoint> Position();  // lat/lon pair, both or neither
  // Fails the object with a message about `key`.
  void Fail(std::string_view key, const std::string& problem);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  const Json& object_;
  std::string error_;
};

// Array of short texts (1..64 code points) with item bounds; `unique` as uniqueItems.
std::vector<std::string> TextArray(ObjectReader& r, std::string_view key, size_t min_items,
                                   size_t max_items, size_t max_points, bool unique,
                                   size_t min_points = 1);

std::string Describe(const Json& value);

}  // namespace locus::codec
