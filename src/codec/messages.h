// JSON messages of the Kafka contracts (DESIGN.md "Contracts", schemas/*.schema.json):
// decoders that enforce exactly the schemas' rules and encoders that produce valid messages.
// The schemas are the single source of truth; tests/unit/codec checks both agree on a corpus.
// All functions are pure and thread-safe.
#pragma once

#include "src/core/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace locus {

// Largest message accepted on any topic (bytes).
inline constexpr size_t kMaxMessageBytes = 64 * 1024;
// Bytes of the original message kept in a dead letter.
inline constexpr size_t kDeadLetterPayloadBytes = 1024;

// A decoded message, or why it is not one: `code` is a short, stable reason for counters
// ("too_large", "invalid_utf8", "invalid_json", "schema"); `error` is for people and names the
// field ("k: must be an integer from 1 to 100, got 1000").
template <class T>
struct Decoded {
  std::optional<T> value;
  std::string code;
  std::string error;
  bool ok() const { return value.has_value(); }
};

struct DeadLetter {
  std::string reason;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string payload;  // the original bytes, truncated to valid UTF-8
  std::optional<std::string> key;
};

Decoded<Place> DecodePlace(std::string_view bytes);
Decoded<Event> DecodeEvent(std::string_view bytes);
Decoded<Query> DecodeRequest(std::string_view bytes);
Decoded<Answer> DecodeResponse(std::string_view bytes);
Decoded<DeadLetter> DecodeDeadLetter(std::string_view bytes);

std::string EncodePlace(const Place& place);
std::string EncodeEvent(const Event& event);
std::string EncodeRequest(const Query& query);
std::string EncodeResponse(const Answer& answer);
std::string EncodeDeadLetter(const DeadLetter& letter);

// The request_id of a request that failed validation, when one can be read (for correlating
// its error response); empty otherwise.
std::string SalvageRequestId(std::string_view bytes);

// True when `s` satisfies the id rule (1..128 printable ASCII characters, no spaces).
bool ValidId(std::string_view s);

}  // namespace locus
