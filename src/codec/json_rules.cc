#include "src/codec/json_rules.h"

#include "src/codec/messages.h"
#include "src/core/text.h"
#include "src/core/time_format.h"

#include <cmath>
#include <set>

namespace locus::codec {
namespace {

bool IsIntegral(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return true;
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

std::string Num(double v) {
  std::string s = Json(v).dump();
  if (s.size() > 2 && s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

}  // namespace

std::string Describe(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

Parsed ParseObject(std::string_view bytes) {
  Parsed p;
  if (bytes.size() > kMaxMessageBytes) {
    p.code = "too_large";
    p.error = "message is " + std::to_string(bytes.size()) + " bytes; the limit is " +
              std::to_string(kMaxMessageBytes);
    return p;
  }
  if (!ValidUtf8(bytes)) {
    p.code = "invalid_utf8";
    p.error = "message is not valid UTF-8";
    return p;
  }
  p.json = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (p.json.is_discarded()) {
    p.code = "invalid_json";
    p.error = "message is not valid JSON";
    return p;
  }
  if (!p.json.is_object()) {
    p.code = "schema";
    p.error = "message must be a JSON object, got " + Describe(p.json);
  }
  return p;
}

ObjectReader::ObjectReader(const Json& object, std::initializer_list<std::string_view> allowed,
                           std::initializer_list<std::string_view> required)
    : object_(object) {
  for (const auto& [key, value] : object_.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) {
      Fail(key, "unknown field");
      return;
    }
  }
  for (std::string_view key : required) {
    if (!object_.contains(key)) {
      Fail(key, "required field is missing");
      return;
    }
  }
}

void ObjectReader::Fail(std::string_view key, const std::string& problem) {
  if (error_.empty()) error_ = std::string(key) + ": " + problem;
}

std::string ObjectReader::Id(std::string_view key) {
  if (!has(key)) return {};
  const Json& v = at(key);
  if (!v.is_string()) {
    Fail(key, "must be a string id, got " + Describe(v));
    return {};
  }
  const auto& s = v.get_ref<const std::string&>();
  if (!ValidId(s)) {
    Fail(key, "must be 1 to 128 printable ASCII characters without spaces");
    return {};
  }
  return s;
}

std::string ObjectReader::Text(std::string_view key, size_t min_points, size_t max_points) {
  if (!has(key)) return {};
  const Json& v = at(key);
  if (!v.is_string()) {
    Fail(key, "must be a string, got " + Describe(v));
    return {};
  }
  const auto& s = v.get_ref<const std::string&>();
  const size_t n = CodePointCount(s);
  if (n < min_points || n > max_points) {
    Fail(key, "must have " + std::to_string(min_points) + " to " + std::to_string(max_points) +
                  " characters, got " + std::to_string(n));
    return {};
  }
  return s;
}

std::optional<double> ObjectReader::Number(std::string_view key, double min, double max,
                                           bool exclusive_min) {
  if (!has(key)) return std::nullopt;
  const Json& v = at(key);
  if (!v.is_number()) {
    Fail(key, "must be a number, got " + Describe(v));
    return std::nullopt;
  }
  const double d = v.get<double>();
  if (!(exclusive_min ? d > min : d >= min) || !(d <= max)) {
    Fail(key, std::string("must be ") + (exclusive_min ? "greater than " : "from ") + Num(min) +
                  (exclusive_min ? " and at most " : " to ") + Num(max) + ", got " + Num(d));
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> ObjectReader::Integer(std::string_view key, int64_t min, int64_t max) {
  if (!has(key)) return std::nullopt;
  const Json& v = at(key);
  if (!v.is_number() || !IsIntegral(v)) {
    Fail(key, "must be an integer, got " + (v.is_number() ? Num(v.get<double>()) : Describe(v)));
    return std::nullopt;
  }
  const double d = v.get<double>();
  bool in_range;
  int64_t i = 0;
  if (v.is_number_integer()) {
    i = v.get<int64_t>();
    in_range = i >= min && i <= max;
  } else if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(max) && static_cast<int64_t>(u) >= min;
    i = static_cast<int64_t>(u);
  } else {
    in_range = d >= static_cast<double>(min) && d <= static_cast<double>(max);
    i = in_range ? static_cast<int64_t>(d) : 0;
  }
  if (!in_range) {
    Fail(key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", got " + Num(d));
    return std::nullopt;
  }
  return i;
}

std::optional<TimeMs> ObjectReader::Time(std::string_view key) {
  if (!has(key)) return std::nullopt;
  const Json& v = at(key);
  if (v.is_string()) {
    if (auto t = ParseRfc3339(v.get_ref<const std::string&>())) return t;
    Fail(key, "must be an RFC 3339 UTC time like 2012-04-03T18:00:09Z, got \"" +
                  SafeUtf8Prefix(v.get_ref<const std::string&>(), 64) + "\"");
    return std::nullopt;
  }
  if (v.is_number() && IsIntegral(v)) return Integer(key, 0, kMaxEpochMs);
  Fail(key, "must be an RFC 3339 UTC string or epoch milliseconds, got " + Describe(v));
  return std::nullopt;
}

std::optional<GeoPoint> ObjectReader::Position() {
  if (has("lat") != has("lon")) {
    Fail(has("lat") ? "lon" : "lat", "lat and lon must be given together");
    return std::nullopt;
  }
  if (!has("lat")) return std::nullopt;
  auto lat = Number("lat", -90, 90);
  auto lon = Number("lon", -180, 180);
  if (!lat || !lon) return std::nullopt;
  return GeoPoint{*lat, *lon};
}

std::vector<std::string> TextArray(ObjectReader& r, std::string_view key, size_t min_items,
                                   size_t max_items, size_t max_points, bool unique,
                                   size_t min_points) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  const Json& v = r.at(key);
  if (!v.is_array()) {
    r.Fail(key, "must be an array, got " + Describe(v));
    return out;
  }
  if (v.size() < min_items || v.size() > max_items) {
    r.Fail(key, "must have " + std::to_string(min_items) + " to " + std::to_string(max_items) +
                    " items, got " + std::to_string(v.size()));
    return out;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
    if (!v[i].is_string()) {
      r.Fail(item_key, "must be a string, got " + Describe(v[i]));
      return {};
    }
    const auto& s = v[i].get_ref<const std::string&>();
    const size_t n = CodePointCount(s);
    if (n < min_points || n > max_points) {
      r.Fail(item_key, "must have " + std::to_string(min_points) + " to " +
                           std::to_string(max_points) + " characters, got " + std::to_string(n));
      return {};
    }
    if (unique && !seen.insert(s).second) {
      r.Fail(item_key, "repeats \"" + s + "\"; items must be unique");
      return {};
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace locus::codec
