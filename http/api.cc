// The application routes: GET /recommend, /activities, /places, /places/{id}; POST /events.
#include "http/handlers.h"
#include "src/codec/messages.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

namespace locus::http {
namespace {

using Json = nlohmann::json;

std::string NewRequestId(Context& c) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "http-" + std::to_string(ms) + "-" + std::to_string(++c.requests_seen);
}

// An integer parameter in [min, max], `fallback` when absent; error text otherwise.
std::optional<int> IntParam(const Params& params, const std::string& name, int min, int max,
                            int fallback, std::string& error) {
  std::optional<std::string> text = SingleParam(params, name, error);
  if (!error.empty()) return std::nullopt;
  if (!text || text->empty()) return fallback;
  int value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    error = name + ": must be an integer from " + std::to_string(min) + " to " +
            std::to_string(max) + ", got '" + text->substr(0, 64) + "'";
    return std::nullopt;
  }
  return value;
}

// Rejects parameters a route does not know, naming them.
bool OnlyKnown(const Params& params, std::initializer_list<std::string_view> known,
               std::string& error) {
  for (const auto& [name, value] : params) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      error = "unknown parameter '" + name.substr(0, 64) + "'";
      return false;
    }
  }
  return true;
}

Json PlaceJson(const Place& p) {
  Json activities = Json::array();
  for (const ActivityId& a : p.activities) activities.push_back(a.str());
  return {{"place_id", p.id.str()},
          {"name", p.name},
          {"lat", p.position.lat},
          {"lon", p.position.lon},
          {"activities", std::move(activities)}};
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::string ErrorJson(std::string_view message, std::string_view code) {
  Json j = {{"status", "error"}, {"error", std::string(message)}};
  if (!code.empty()) j["code"] = std::string(code);
  return Dump(j);
}

Reply Error(int status, std::string_view message, std::string_view code) {
  return {status, ErrorJson(message, code)};
}

std::string RouteOf(std::string_view path) {
  for (std::string_view route : kRoutes) {
    if (path == route) return std::string(route);
  }
  if (path.starts_with("/places/")) return "/places/{id}";
  return "static";
}

size_t RouteIndex(std::string_view route) {
  const auto it = std::find(kRoutes.begin(), kRoutes.end(), route);
  return it == kRoutes.end() ? kRoutes.size() - 1 : static_cast<size_t>(it - kRoutes.begin());
}

Reply Recommend(Context& c, const Params& params) {
  Engine& engine = *c.sources.engine;
  RequestJson request = RequestFromParams(params, NewRequestId(c));
  Decoded<Query> d;
  if (request.error.empty()) d = DecodeRequest(request.json);
  if (!request.error.empty() || !d.ok()) {
    // The error response of the requests topic (Engine::AnswerRequest), word for word.
    Answer a;
    a.ok = false;
    std::string error;
    a.request_id = SingleParam(params, "request_id", error).value_or("");
    if (!ValidId(a.request_id)) a.request_id.clear();
    a.error = "invalid request: " + (request.error.empty() ? d.error : request.error);
    a.model_version = engine.model_version();
    return {400, EncodeResponse(a)};
  }
  Answer a = engine.Recommend(*d.value);
  // A valid request whose activity is unknown: 404, with the closest activities.
  return {a.ok ? 200 : 404, EncodeResponse(a)};
}

Reply Activities(Context& c, const Params& params) {
  std::string error;
  if (!OnlyKnown(params, {"prefix", "limit"}, error)) return Error(400, error);
  const std::string prefix = SingleParam(params, "prefix", error).value_or("");
  if (!error.empty()) return Error(400, error);
  if (prefix.size() > 256) return Error(400, "prefix: must be at most 256 bytes");
  const std::optional<int> limit = IntParam(params, "limit", 1, 100, 10, error);
  if (!limit) return Error(400, error);
  Json names = Json::array();
  c.sources.engine->WithModel([&](const Model& m) {
    auto popularity = [&m](const ActivityId& a) { return m.ActivityPopularity(a); };
    for (const ActivityId& a :
         m.resolver().Complete(prefix, static_cast<size_t>(*limit), popularity)) {
      names.push_back(a.str());
    }
    if (names.empty() && !prefix.empty()) {
      // No name starts with it; an alias or a typo may still resolve ("coffee", "cofee").
      Resolution r = m.resolver().Resolve(prefix, popularity);
      if (r.activity) names.push_back(r.activity->str());
    }
    return 0;
  });
  return {200, Dump({{"prefix", prefix}, {"activities", std::move(names)}})};
}

Reply Places(Context& c, const Params& params) {
  std::string error;
  if (!OnlyKnown(params, {"limit"}, error)) return Error(400, error);
  const std::optional<int> limit = IntParam(params, "limit", 1, 100000, 5000, error);
  if (!limit) return Error(400, error);
  Json list = Json::array();
  size_t total = 0;
  c.sources.engine->WithModel([&](const Model& m) {
    total = m.place_count();
    // A stable order, so a truncated list is the same on every call.
    std::vector<const Place*> places;
    places.reserve(m.place_count());
    m.ForEachPlace([&](const Place& place) { places.push_back(&place); });
    std::sort(places.begin(), places.end(),
              [](const Place* a, const Place* b) { return a->id < b->id; });
    if (places.size() > static_cast<size_t>(*limit)) places.resize(static_cast<size_t>(*limit));
    for (const Place* p : places) list.push_back(PlaceJson(*p));
    return 0;
  });
  return {200, Dump({{"total", total}, {"places", std::move(list)}})};
}

Reply PlaceById(Context& c, const std::string& id) {
  if (!ValidId(id)) {
    return Error(400, "place id: must be 1..128 printable ASCII characters without spaces");
  }
  std::optional<Json> place;
  c.sources.engine->WithModel([&](const Model& m) {
    if (const Place* p = m.FindPlace(PlaceId(id))) {
      place = PlaceJson(*p);
      Json tags = Json::array();
      for (const std::string& t : p->tags) tags.push_back(t);
      (*place)["tags"] = std::move(tags);
    }
    return 0;
  });
  if (!place) return Error(404, "no place with id '" + id + "'", "unknown_place");
  return {200, Dump(*place)};
}

Reply PostEvent(Context& c, const std::string& body) {
  Decoded<Event> d = DecodeEvent(body);
  if (!d.ok()) return Error(400, d.error, d.code);
  if (c.sources.producer == nullptr) return Error(503, "no Kafka producer", "unavailable");
  // The bytes as sent, keyed by user like every producer of the events topic.
  Status s = c.sources.producer->Produce(c.options.events_topic, d.value->user.str(), body);
  if (!s.ok()) return Error(503, "producing to " + c.options.events_topic + ": " + s.message());
  // 202 means Kafka has it: wait for the broker's acknowledgement (librdkafka retries meanwhile).
  s = c.sources.producer->Flush(5000);
  if (!s.ok()) {
    return Error(504, "not confirmed by Kafka within 5 s (it may still arrive): " + s.message(),
                 "unconfirmed");
  }
  c.stats.events_accepted++;
  return {202, Dump({{"status", "accepted"}, {"event_id", d.value->event_id}})};
}

}  // namespace locus::http
