#include "http/params.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <set>

namespace locus::http {
namespace {

using Json = nlohmann::json;

const std::set<std::string>& KnownParams() {
  static const std::set<std::string> known = {"request_id", "activity", "user_id", "lat",    "lon",
                                              "radius_km",  "k",        "at",      "exclude"};
  return known;
}

std::string KnownList() {
  std::string s;
  for (const std::string& name : KnownParams()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

// A JSON number when `text` is one (whole text, finite), else the text itself.
Json NumberOrText(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return text;
  int64_t integer = 0;
  const auto [iptr, iec] = std::from_chars(text.data(), end, integer);
  if (iec == std::errc() && iptr == end) return integer;
  return value;
}

}  // namespace

std::optional<std::string> SingleParam(const Params& params, const std::string& name,
                                       std::string& error) {
  auto [first, last] = params.equal_range(name);
  if (first == last) return std::nullopt;
  if (std::next(first) != last) {
    error = "parameter '" + name + "' given more than once";
    return std::nullopt;
  }
  return first->second;
}

RequestJson RequestFromParams(const Params& params, const std::string& request_id) {
  RequestJson out;
  Json j = Json::object();
  j["request_id"] = request_id;
  for (const auto& [name, value] : params) {
    if (!KnownParams().contains(name)) {
      out.error = "unknown parameter '" + name + "' (known: " + KnownList() + ")";
      return out;
    }
    if (params.count(name) > 1) {
      out.error = "parameter '" + name + "' given more than once";
      return out;
    }
    if (value.empty() && name != "activity") continue;
    if (name == "lat" || name == "lon" || name == "radius_km" || name == "k") {
      j[name] = NumberOrText(value);
    } else if (name == "at") {
      // Epoch milliseconds or an RFC 3339 string, as on the topic.
      Json v = NumberOrText(value);
      j[name] = v.is_number_integer() ? v : Json(value);
    } else if (name == "exclude") {
      Json ids = Json::array();
      size_t start = 0;
      while (start <= value.size()) {
        const size_t comma = value.find(',', start);
        const size_t stop = comma == std::string::npos ? value.size() : comma;
        ids.push_back(value.substr(start, stop - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      j[name] = std::move(ids);
    } else {
      j[name] = value;
    }
  }
  try {
    out.json = j.dump();
  } catch (const Json::type_error&) {
    out.error = "query parameters must be valid UTF-8 (percent-encoded)";
  }
  return out;
}

}  // namespace locus::http
