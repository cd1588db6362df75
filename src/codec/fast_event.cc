#include "src/codec/fast_event.h"

#include "src/codec/json_rules.h"
#include "src/codec/messages.h"
#include "src/core/text.h"
#include "src/core/time_format.h"

#include <simdjson.h>

#include <cstring>
#include <string>

namespace locus::codec {
namespace {

namespace od = simdjson::ondemand;

enum Field : unsigned {
  kEventId = 1u << 0,
  kType = 1u << 1,
  kUser = 1u << 2,
  kPlace = 1u << 3,
  kActivity = 1u << 4,
  kTs = 1u << 5,
  kLat = 1u << 6,
  kLon = 1u << 7,
  kValue = 1u << 8,
};
constexpr unsigned kRequired = kEventId | kType | kUser | kPlace | kTs;

Field FieldOf(std::string_view key) {
  if (key == "event_id") return kEventId;
  if (key == "type") return kType;
  if (key == "user_id") return kUser;
  if (key == "place_id") return kPlace;
  if (key == "activity") return kActivity;
  if (key == "ts") return kTs;
  if (key == "lat") return kLat;
  if (key == "lon") return kLon;
  if (key == "value") return kValue;
  return Field{0};
}

// A number as nlohmann's tree gives it to ObjectReader::Number: an integer token is read as
// an integer and converted (so "-0" is +0), a decimal one as the nearest double.
std::optional<double> Number(od::value& v) {
  od::number_type type;
  if (v.get_number_type().get(type)) return std::nullopt;
  if (type == od::number_type::signed_integer) {
    int64_t i;
    if (v.get_int64().get(i)) return std::nullopt;
    return static_cast<double>(i);
  }
  if (type == od::number_type::unsigned_integer) {
    uint64_t u;
    if (v.get_uint64().get(u)) return std::nullopt;
    return static_cast<double>(u);
  }
  if (type != od::number_type::floating_point_number) return std::nullopt;
  // simdjson 3.0.1 misreads a decimal of more than 19 significant digits whose integer part is
  // 0 (its overflow test counts from the first non-zero digit: 0.50000000000000000000 reads
  // 0.131; simdjson issue 2093). Such long mantissas are left to the general way.
  const std::string_view token = v.raw_json_token();
  int digits = 0;
  for (char c : token) {
    if (c == 'e' || c == 'E') break;
    digits += c >= '0' && c <= '9';
  }
  if (digits > 19) return std::nullopt;
  double d;
  if (v.get_double().get(d)) return std::nullopt;
  return d;
}

std::optional<std::string_view> String(od::value& v) {
  std::string_view s;
  if (v.get_string().get(s)) return std::nullopt;
  return s;
}

}  // namespace

std::optional<Event> FastDecodeEvent(std::string_view bytes) {
  // Escapes are left to the general path (so every string here is its raw bytes), as is
  // anything too large or not UTF-8 (it words the error).
  if (bytes.size() > kMaxMessageBytes || std::memchr(bytes.data(), '\\', bytes.size()) != nullptr ||
      !ValidUtf8(bytes)) {
    return std::nullopt;
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: a copy with room for it.
  thread_local od::parser parser;
  thread_local std::string padded;
  padded.assign(bytes);
  padded.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (parser.iterate(padded.data(), bytes.size(), padded.size()).get(doc)) return std::nullopt;
  od::object object;
  if (doc.get_object().get(object)) return std::nullopt;
  Event e;
  unsigned seen = 0;
  std::optional<double> lat, lon;
  for (auto field : object) {
    std::string_view key;
    od::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) return std::nullopt;
    const Field f = FieldOf(key);
    if (f == 0 || (seen & f) != 0) return std::nullopt;  // unknown or repeated
    seen |= f;
    switch (f) {
      case kEventId:
      case kUser:
      case kPlace: {
        const std::optional<std::string_view> s = String(v);
        if (!s || !ValidId(*s)) return std::nullopt;
        if (f == kEventId) {
          e.event_id = std::string(*s);
        } else if (f == kUser) {
          e.user = UserId(std::string(*s));
        } else {
          e.place = PlaceId(std::string(*s));
        }
        break;
      }
      case kType: {
        const std::optional<std::string_view> s = String(v);
        const std::optional<EventType> type = s ? EventTypeNamed(*s) : std::nullopt;
        if (!type) return std::nullopt;
        e.type = *type;
        break;
      }
      case kActivity: {
        const std::optional<std::string_view> s = String(v);
        if (!s) return std::nullopt;
        // simdjson lets a raw control character through in a string; JSON does not.
        for (char c : *s) {
          if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
        }
        const size_t n = CodePointCount(*s);
        if (n < 1 || n > 64) return std::nullopt;
        e.activity = ActivityId(std::string(*s));
        break;
      }
      case kTs: {
        od::json_type type;
        if (v.type().get(type)) return std::nullopt;
        if (type == od::json_type::string) {
          const std::optional<std::string_view> s = String(v);
          const std::optional<TimeMs> t = s ? ParseRfc3339(*s) : std::nullopt;
          if (!t) return std::nullopt;
          e.ts = *t;
        } else {
          od::number_type number;
          int64_t i;
          if (type != od::json_type::number || v.get_number_type().get(number) ||
              number != od::number_type::signed_integer || v.get_int64().get(i) || i < 0 ||
              i > kMaxEpochMs) {
            return std::nullopt;  // an unsigned one is out of range; a decimal one is rare
          }
          e.ts = i;
        }
        break;
      }
      case kLat:
      case kLon:
      case kValue: {
        const std::optional<double> d = Number(v);
        if (!d) return std::nullopt;
        (f == kLat ? lat : f == kLon ? lon : e.value) = d;
        break;
      }
    }
  }
  // Read to its end: anything after the object (OUT_OF_BOUNDS is the end).
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) return std::nullopt;
  if ((seen & kRequired) != kRequired || lat.has_value() != lon.has_value()) return std::nullopt;
  if (lat) {
    if (!(*lat >= -90 && *lat <= 90) || !(*lon >= -180 && *lon <= 180)) return std::nullopt;
    e.position = GeoPoint{*lat, *lon};
  }
  if (e.value && !(*e.value >= 0 && *e.value <= 10)) return std::nullopt;
  if (e.type == EventType::kRating && !e.value) return std::nullopt;
  return e;
}

}  // namespace locus::codec
