#include "src/codec/messages.h"

#include "src/codec/fast_event.h"
#include "src/codec/json_rules.h"
#include "src/core/text.h"
#include "src/core/time_format.h"

#include <cmath>

namespace locus {
namespace {

using codec::Json;
using codec::ObjectReader;

// Runs `read` over a parsed object and packages the outcome.
template <class T, class Fn>
Decoded<T> DecodeWith(std::string_view bytes, Fn read) {
  Decoded<T> d;
  codec::Parsed p = codec::ParseObject(bytes);
  if (!p.code.empty()) {
    d.code = std::move(p.code);
    d.error = std::move(p.error);
    return d;
  }
  std::string error;
  T value = read(p.json, error);
  if (!error.empty()) {
    d.code = "schema";
    d.error = std::move(error);
    return d;
  }
  d.value = std::move(value);
  return d;
}

Json PositionJson(const GeoPoint& p) { return Json{{"lat", p.lat}, {"lon", p.lon}}; }

}  // namespace

bool ValidId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

Decoded<Place> DecodePlace(std::string_view bytes) {
  return DecodeWith<Place>(bytes, [](const Json& j, std::string& error) {
    ObjectReader r(j, {"place_id", "name", "lat", "lon", "activities", "tags"},
                   {"place_id", "name", "lat", "lon", "activities"});
    Place p;
    if (r.ok()) p.id = PlaceId(r.Id("place_id"));
    if (r.ok()) p.name = r.Text("name", 1, 256);
    if (r.ok()) {
      if (auto pos = r.Position()) p.position = *pos;
    }
    if (r.ok()) {
      for (std::string& a : codec::TextArray(r, "activities", 1, 32, 64, true)) {
        p.activities.emplace_back(std::move(a));
      }
    }
    if (r.ok()) p.tags = codec::TextArray(r, "tags", 0, 32, 64, false);
    error = r.error();
    return p;
  });
}

Decoded<Event> DecodeEvent(std::string_view bytes) {
  if (std::optional<Event> plain = codec::FastDecodeEvent(bytes)) {
    Decoded<Event> d;
    d.value = std::move(*plain);
    return d;
  }
  return codec::DecodeEventByTree(bytes);
}

Decoded<Event> codec::DecodeEventByTree(std::string_view bytes) {
  return DecodeWith<Event>(bytes, [](const Json& j, std::string& error) {
    ObjectReader r(
        j, {"event_id", "type", "user_id", "place_id", "activity", "ts", "lat", "lon", "value"},
        {"event_id", "type", "user_id", "place_id", "ts"});
    Event e;
    if (r.ok()) e.event_id = r.Id("event_id");
    if (r.ok()) {
      const Json& t = r.at("type");
      const std::optional<EventType> type =
          t.is_string() ? EventTypeNamed(t.get_ref<const std::string&>()) : std::nullopt;
      if (type) {
        e.type = *type;
      } else {
        r.Fail("type", "must be \"click\", \"visit\" or \"rating\"");
      }
    }
    if (r.ok()) e.user = UserId(r.Id("user_id"));
    if (r.ok()) e.place = PlaceId(r.Id("place_id"));
    if (r.ok() && r.has("activity")) e.activity = ActivityId(r.Text("activity", 1, 64));
    if (r.ok()) e.ts = r.Time("ts").value_or(0);
    if (r.ok()) e.position = r.Position();
    if (r.ok()) e.value = r.Number("value", 0, 10);
    if (r.ok() && e.type == EventType::kRating && !r.has("value")) {
      r.Fail("value", "required for rating events");
    }
    error = r.error();
    return e;
  });
}

Decoded<Query> DecodeRequest(std::string_view bytes) {
  return DecodeWith<Query>(bytes, [](const Json& j, std::string& error) {
    ObjectReader r(
        j, {"request_id", "activity", "user_id", "lat", "lon", "radius_km", "k", "at", "exclude"},
        {"request_id", "activity"});
    Query q;
    if (r.ok()) q.request_id = r.Id("request_id");
    if (r.ok()) q.activity_text = r.Text("activity", 1, 64);
    if (r.ok() && r.has("user_id")) q.user = UserId(r.Id("user_id"));
    if (r.ok()) q.position = r.Position();
    if (r.ok()) q.radius_km = r.Number("radius_km", 0, 20040, /*exclusive_min=*/true);
    if (r.ok()) {
      if (auto k = r.Integer("k", 1, 100)) q.k = static_cast<int>(*k);
    }
    if (r.ok()) q.at = r.Time("at");
    if (r.ok() && r.has("exclude")) {
      const Json& ex = r.at("exclude");
      if (!ex.is_array()) {
        r.Fail("exclude", "must be an array of place ids, got " + codec::Describe(ex));
      } else if (ex.size() > 1000) {
        r.Fail("exclude", "must have at most 1000 items, got " + std::to_string(ex.size()));
      } else {
        for (size_t i = 0; i < ex.size() && r.ok(); ++i) {
          if (!ex[i].is_string() || !ValidId(ex[i].get_ref<const std::string&>())) {
            r.Fail("exclude[" + std::to_string(i) + "]", "must be a place id");
          } else {
            q.exclude.emplace_back(ex[i].get<std::string>());
          }
        }
      }
    }
    error = r.error();
    return q;
  });
}

Decoded<Answer> DecodeResponse(std::string_view bytes) {
  return DecodeWith<Answer>(bytes, [](const Json& j, std::string& error) {
    ObjectReader r(j,
                   {"request_id", "status", "activity", "error", "suggestions", "items",
                    "model_version", "took_ms"},
                   {"request_id", "status", "activity", "items", "model_version", "took_ms"});
    Answer a;
    if (r.ok()) a.request_id = r.Text("request_id", 0, 128);
    if (r.ok()) {
      const Json& s = r.at("status");
      if (s != "ok" && s != "error") r.Fail("status", "must be \"ok\" or \"error\"");
      a.ok = s == "ok";
    }
    if (r.ok()) a.activity = r.Text("activity", 0, 256);
    if (r.ok()) a.error = r.Text("error", 0, 4096);
    if (r.ok()) a.suggestions = codec::TextArray(r, "suggestions", 0, 10, 256, false, 0);
    if (r.ok()) a.model_version = r.Text("model_version", 0, 128);
    if (r.ok()) a.took_ms = r.Number("took_ms", 0, HUGE_VAL).value_or(0);
    if (r.ok()) {
      const Json& items = r.at("items");
      if (!items.is_array() || items.size() > 100) {
        r.Fail("items", "must be an array of at most 100 items");
      }
      for (size_t i = 0; r.ok() && i < items.size(); ++i) {
        const std::string key = "items[" + std::to_string(i) + "]";
        if (!items[i].is_object()) {
          r.Fail(key, "must be an object");
          break;
        }
        ObjectReader ir(items[i], {"place_id", "name", "score", "distance_km", "reasons"},
                        {"place_id", "name", "score", "reasons"});
        ScoredPlace sp;
        if (ir.ok()) sp.place = PlaceId(ir.Id("place_id"));
        if (ir.ok()) sp.name = ir.Text("name", 0, 256);
        if (ir.ok()) sp.score = ir.Number("score", -HUGE_VAL, HUGE_VAL).value_or(0);
        if (ir.ok()) sp.distance_km = ir.Number("distance_km", 0, HUGE_VAL);
        if (ir.ok()) sp.reasons = codec::TextArray(ir, "reasons", 0, 16, 256, false, 0);
        if (!ir.ok()) r.Fail(key, ir.error());
        a.items.push_back(std::move(sp));
      }
    }
    error = r.error();
    return a;
  });
}

Decoded<DeadLetter> DecodeDeadLetter(std::string_view bytes) {
  return DecodeWith<DeadLetter>(bytes, [](const Json& j, std::string& error) {
    ObjectReader r(j, {"reason", "topic", "partition", "offset", "payload", "key"},
                   {"reason", "topic", "partition", "offset", "payload"});
    DeadLetter d;
    if (r.ok()) d.reason = r.Text("reason", 1, 1024);
    if (r.ok()) d.topic = r.Text("topic", 1, 249);
    if (r.ok())
      d.partition = static_cast<int32_t>(r.Integer("partition", 0, INT32_MAX).value_or(0));
    if (r.ok()) d.offset = r.Integer("offset", 0, INT64_MAX).value_or(0);
    if (r.ok()) d.payload = r.Text("payload", 0, 4096);
    if (r.ok() && r.has("key")) d.key = r.Text("key", 0, 4096);
    error = r.error();
    return d;
  });
}

std::string EncodePlace(const Place& p) {
  Json j{
      {"place_id", p.id.str()}, {"name", p.name}, {"lat", p.position.lat}, {"lon", p.position.lon}};
  Json acts = Json::array();
  for (const ActivityId& a : p.activities) acts.push_back(a.str());
  j["activities"] = std::move(acts);
  if (!p.tags.empty()) j["tags"] = p.tags;
  return j.dump();
}

std::string EncodeEvent(const Event& e) {
  Json j{{"event_id", e.event_id},
         {"type", EventTypeName(e.type)},
         {"user_id", e.user.str()},
         {"place_id", e.place.str()},
         {"ts", FormatRfc3339(e.ts)}};
  if (e.activity) j["activity"] = e.activity->str();
  if (e.position) j.update(PositionJson(*e.position));
  if (e.value) j["value"] = *e.value;
  return j.dump();
}

std::string EncodeRequest(const Query& q) {
  Json j{{"request_id", q.request_id}, {"activity", q.activity_text}};
  if (q.user) j["user_id"] = q.user->str();
  if (q.position) j.update(PositionJson(*q.position));
  if (q.radius_km) j["radius_km"] = *q.radius_km;
  if (q.k) j["k"] = *q.k;
  if (q.at) j["at"] = FormatRfc3339(*q.at);
  if (!q.exclude.empty()) {
    Json ex = Json::array();
    for (const PlaceId& p : q.exclude) ex.push_back(p.str());
    j["exclude"] = std::move(ex);
  }
  return j.dump();
}

std::string EncodeResponse(const Answer& a) {
  Json items = Json::array();
  // Texts are cut to the schema's bounds (code points), so a response is always valid.
  auto cut = [](const std::vector<std::string>& texts, size_t max_items) {
    Json out = Json::array();
    for (size_t i = 0; i < texts.size() && i < max_items; ++i) {
      out.push_back(TruncateCodePoints(texts[i], 256));
    }
    return out;
  };
  for (const ScoredPlace& s : a.items) {
    Json item{{"place_id", s.place.str()},
              {"name", TruncateCodePoints(s.name, 256)},
              {"score", s.score},
              {"reasons", cut(s.reasons, 16)}};
    if (s.distance_km) item["distance_km"] = std::round(*s.distance_km * 1000) / 1000;
    items.push_back(std::move(item));
  }
  Json j{{"request_id", a.request_id},
         {"status", a.ok ? "ok" : "error"},
         {"activity", TruncateCodePoints(SafeUtf8Prefix(a.activity, 1024), 256)},
         {"items", std::move(items)},
         {"model_version", a.model_version},
         {"took_ms", std::round(a.took_ms * 1000) / 1000}};
  if (!a.ok) j["error"] = TruncateCodePoints(SafeUtf8Prefix(a.error, 16384), 4096);
  if (!a.suggestions.empty()) j["suggestions"] = cut(a.suggestions, 10);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string EncodeDeadLetter(const DeadLetter& d) {
  Json j{{"reason", SafeUtf8Prefix(d.reason, 1024)},
         {"topic", d.topic},
         {"partition", d.partition},
         {"offset", d.offset},
         {"payload", SafeUtf8Prefix(d.payload, kDeadLetterPayloadBytes)}};
  if (d.key) j["key"] = SafeUtf8Prefix(*d.key, 1024);
  return j.dump();
}

std::string SalvageRequestId(std::string_view bytes) {
  if (bytes.size() > kMaxMessageBytes || !ValidUtf8(bytes)) return {};
  Json j = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!j.is_object() || !j.contains("request_id") || !j["request_id"].is_string()) return {};
  const auto& id = j["request_id"].get_ref<const std::string&>();
  return ValidId(id) ? id : std::string();
}

}  // namespace locus
