// Query strings of the HTTP API turned into the messages of the Kafka contracts, so that
// GET /recommend is validated by the very decoder of the requests topic (src/codec) and its
// errors read the same. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace locus::http {

// Decoded query parameters (httplib::Params is this type).
using Params = std::multimap<std::string, std::string>;

// The request message of GET /recommend, or why the query string is not one.
struct RequestJson {
  std::string json;   // a request message for DecodeRequest (when error is empty)
  std::string error;  // "unknown parameter 'foo' ...", "parameter 'k' given twice"
};

// Maps activity, user_id, lat, lon, radius_km, k, at, exclude (comma-separated) and
// request_id onto a request message. Numbers become JSON numbers when they parse as such and
// stay strings otherwise, so the decoder reports "lat: must be a number" exactly as it does
// for the topic. Empty optional parameters count as absent (HTML forms send them).
// `request_id` is used when the query has none.
RequestJson RequestFromParams(const Params& params, const std::string& request_id);

// One parameter that must appear at most once: its value, nullopt when absent; `error` is set
// when it is repeated.
std::optional<std::string> SingleParam(const Params& params, const std::string& name,
                                       std::string& error);

}  // namespace locus::http
