// The events topic's common case, decoded without building a JSON tree. Internal to
// src/codec.
#pragma once

#include "src/codec/messages.h"
#include "src/core/types.h"

#include <optional>
#include <string_view>

namespace locus::codec {

// The event `bytes` holds when it is a plain one: a JSON object whose keys are the schema's,
// each once, with no escapes in any string, integers or decimals as numbers, every rule of
// DecodeEvent holding. Then the result is exactly DecodeEvent's. nullopt for anything else,
// valid or not: DecodeEvent then decodes it the general way (and words its error). Parsed by
// simdjson's on-demand parser: the events topic is the engine's busiest input, and building
// nlohmann's tree (a map node and a string per field) cost ~4 us an event.
std::optional<Event> FastDecodeEvent(std::string_view bytes);

// DecodeEvent's general way: nlohmann's tree and the schema's rules (json_rules.h).
Decoded<Event> DecodeEventByTree(std::string_view bytes);

}  // namespace locus::codec
