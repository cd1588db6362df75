#include "src/codec/messages.h"

#include "src/core/text.h"
#include "src/core/time_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace locus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr TimeMs kT0 = 1'333'476'009'000;  // 2012-04-03T18:00:09Z

Place SomePlace() {
  Place p;
  p.id = PlaceId("4bf00a3b51f2c9b6091cf192");
  p.name = "Caf\xC3\xA9 \"Bleu\" & Co";
  p.position = {40.68287734, -73.71464218};
  p.activities = {ActivityId("Coffee Shop"), ActivityId("Caf\xC3\xA9")};
  p.tags = {"wifi", "quiet"};
  return p;
}

TEST(MessagesTest, PlaceRoundTrips) {
  const Place p = SomePlace();
  const Decoded<Place> d = DecodePlace(EncodePlace(p));
  ASSERT_TRUE(d.ok()) << d.code << ": " << d.error;
  EXPECT_EQ(d.value->id, p.id);
  EXPECT_EQ(d.value->name, p.name);
  EXPECT_EQ(d.value->position.lat, p.position.lat);
  EXPECT_EQ(d.value->position.lon, p.position.lon);
  EXPECT_EQ(d.value->activities, p.activities);
  EXPECT_EQ(d.value->tags, p.tags);

  Place untagged = p;
  untagged.tags.clear();
  const Decoded<Place> d2 = DecodePlace(EncodePlace(untagged));
  ASSERT_TRUE(d2.ok()) << d2.error;
  EXPECT_TRUE(d2.value->tags.empty());
}

TEST(MessagesTest, EventOfEveryTypeRoundTrips) {
  for (EventType type : {EventType::kClick, EventType::kVisit, EventType::kRating}) {
    Event e;
    e.event_id = std::string("ev-") + EventTypeName(type);
    e.type = type;
    e.user = UserId("829");
    e.place = PlaceId("p-1");
    e.ts = kT0 + 250;
    if (type == EventType::kRating) e.value = 7.5;
    const Decoded<Event> d = DecodeEvent(EncodeEvent(e));
    ASSERT_TRUE(d.ok()) << EventTypeName(type) << ": " << d.error;
    EXPECT_EQ(d.value->event_id, e.event_id);
    EXPECT_EQ(d.value->type, type);
    EXPECT_EQ(d.value->user, e.user);
    EXPECT_EQ(d.value->place, e.place);
    EXPECT_EQ(d.value->ts, e.ts);
    EXPECT_FALSE(d.value->activity.has_value());
    EXPECT_FALSE(d.value->position.has_value());
    EXPECT_EQ(d.value->value, e.value);
  }
}

TEST(MessagesTest, EventWithEveryOptionalFieldRoundTrips) {
  Event e;
  e.event_id = "e1";
  e.type = EventType::kVisit;
  e.user = UserId("u1");
  e.place = PlaceId("p1");
  e.activity = ActivityId("Bouldering Gym");
  e.ts = kT0;
  e.position = GeoPoint{-33.8688, 151.2093};
  const Decoded<Event> d = DecodeEvent(EncodeEvent(e));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->activity, e.activity);
  ASSERT_TRUE(d.value->position.has_value());
  EXPECT_EQ(d.value->position->lat, -33.8688);
  EXPECT_EQ(d.value->position->lon, 151.2093);
  EXPECT_EQ(d.value->ts, kT0);
}

TEST(MessagesTest, EventTimeMayBeEpochMilliseconds) {
  const Decoded<Event> d = DecodeEvent(
      R"({"event_id":"e","type":"click","user_id":"u","place_id":"p","ts":1333476009250})");
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->ts, kT0 + 250);
}

TEST(MessagesTest, RequestWithEveryFieldRoundTrips) {
  Query q;
  q.request_id = "req-42";
  q.activity_text = "caf\xC3\xA9s near me";
  q.user = UserId("829");
  q.position = GeoPoint{40.7198, -74.0026};
  q.radius_km = 2.5;
  q.k = 7;
  q.at = kT0;
  q.exclude = {PlaceId("a"), PlaceId("b")};
  const Decoded<Query> d = DecodeRequest(EncodeRequest(q));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->request_id, q.request_id);
  EXPECT_EQ(d.value->activity_text, q.activity_text);
  EXPECT_EQ(d.value->user, q.user);
  ASSERT_TRUE(d.value->position.has_value());
  EXPECT_EQ(d.value->position->lat, 40.7198);
  EXPECT_EQ(d.value->position->lon, -74.0026);
  EXPECT_EQ(d.value->radius_km, 2.5);
  EXPECT_EQ(d.value->k, 7);
  EXPECT_EQ(d.value->at, kT0);
  EXPECT_EQ(d.value->exclude, q.exclude);
}

TEST(MessagesTest, MinimalRequestRoundTripsWithNothingInvented) {
  Query q;
  q.request_id = "r";
  q.activity_text = "gym";
  const Decoded<Query> d = DecodeRequest(EncodeRequest(q));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_FALSE(d.value->user.has_value());
  EXPECT_FALSE(d.value->position.has_value());
  EXPECT_FALSE(d.value->radius_km.has_value());
  EXPECT_FALSE(d.value->k.has_value());
  EXPECT_FALSE(d.value->at.has_value());
  EXPECT_TRUE(d.value->exclude.empty());
}

TEST(MessagesTest, OkResponseRoundTrips) {
  Answer a;
  a.request_id = "req-42";
  a.activity = "Coffee Shop";
  a.model_version = "blend-1";
  a.took_ms = 1.25;
  a.items.push_back(
      {PlaceId("p1"), "Blue Bottle", 2.5, 0.125, {"popular for Coffee Shop: 3 visits"}});
  a.items.push_back({PlaceId("p2"), "Joe", -1.0, std::nullopt, {}});
  const Decoded<Answer> d = DecodeResponse(EncodeResponse(a));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_TRUE(d.value->ok);
  EXPECT_EQ(d.value->request_id, a.request_id);
  EXPECT_EQ(d.value->activity, a.activity);
  EXPECT_EQ(d.value->model_version, a.model_version);
  EXPECT_EQ(d.value->took_ms, 1.25);
  EXPECT_TRUE(d.value->error.empty());
  EXPECT_TRUE(d.value->suggestions.empty());
  ASSERT_EQ(d.value->items.size(), 2u);
  EXPECT_EQ(d.value->items[0].place, PlaceId("p1"));
  EXPECT_EQ(d.value->items[0].name, "Blue Bottle");
  EXPECT_EQ(d.value->items[0].score, 2.5);
  EXPECT_EQ(d.value->items[0].distance_km, 0.125);
  EXPECT_EQ(d.value->items[0].reasons, a.items[0].reasons);
  EXPECT_FALSE(d.value->items[1].distance_km.has_value());
  EXPECT_EQ(d.value->items[1].score, -1.0);
}

TEST(MessagesTest, ErrorResponseRoundTripsWithSuggestions) {
  Answer a;
  a.request_id = "req-43";
  a.ok = false;
  a.activity = "karaoke";
  a.error = "unknown activity 'karaoke'; did you mean 'Bar'?";
  a.suggestions = {"Bar", "Park"};
  a.model_version = "blend-1";
  const Decoded<Answer> d = DecodeResponse(EncodeResponse(a));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_FALSE(d.value->ok);
  EXPECT_EQ(d.value->error, a.error);
  EXPECT_EQ(d.value->suggestions, a.suggestions);
  EXPECT_TRUE(d.value->items.empty());
}

TEST(MessagesTest, EncodeResponseKeepsEveryTextWithinTheSchemaLimits) {
  // The encoder promises valid messages whatever the answer holds: a reason that quotes a
  // long place name ("people often come here next from <256 characters>") must still fit.
  Answer a;
  a.request_id = "req-44";
  a.activity = std::string(300, 'a');
  a.model_version = "blend-1";
  std::string long_name;
  for (int i = 0; i < 256; ++i) long_name += "\xC3\xA9";  // 256 code points, 512 bytes
  a.items.push_back({PlaceId("p1"),
                     long_name,
                     1.0,
                     std::nullopt,
                     {"people often come here next from " + long_name}});
  const std::string json = EncodeResponse(a);
  const Decoded<Answer> d = DecodeResponse(json);
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->items[0].name, long_name);
  ASSERT_EQ(d.value->items[0].reasons.size(), 1u);
  EXPECT_THAT(d.value->items[0].reasons[0], StartsWith("people often come here next from "));
  EXPECT_LE(CodePointCount(d.value->items[0].reasons[0]), 256u);
  EXPECT_LE(CodePointCount(d.value->activity), 256u);
}

TEST(MessagesTest, DeadLetterRoundTrips) {
  DeadLetter l;
  l.reason = "schema: user_id: required field is missing";
  l.topic = "locus.events";
  l.partition = 3;
  l.offset = 1234567890123;
  l.payload = R"({"event_id":"e1"})";
  l.key = "829";
  const Decoded<DeadLetter> d = DecodeDeadLetter(EncodeDeadLetter(l));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_EQ(d.value->reason, l.reason);
  EXPECT_EQ(d.value->topic, l.topic);
  EXPECT_EQ(d.value->partition, 3);
  EXPECT_EQ(d.value->offset, 1234567890123);
  EXPECT_EQ(d.value->payload, l.payload);
  EXPECT_EQ(d.value->key, l.key);

  l.key.reset();
  const Decoded<DeadLetter> d2 = DecodeDeadLetter(EncodeDeadLetter(l));
  ASSERT_TRUE(d2.ok()) << d2.error;
  EXPECT_FALSE(d2.value->key.has_value());
}

TEST(MessagesTest, EncodeDeadLetterTruncatesThePayloadToValidUtf8) {
  DeadLetter l;
  l.reason = "too_large";
  l.topic = "locus.events";
  // 'a' then 600 two-byte characters: 1201 bytes; the cut must fall between characters.
  std::string payload = "a";
  for (int i = 0; i < 600; ++i) payload += "\xC3\xA9";
  l.payload = payload;
  Decoded<DeadLetter> d = DecodeDeadLetter(EncodeDeadLetter(l));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_LE(d.value->payload.size(), kDeadLetterPayloadBytes);
  EXPECT_EQ(d.value->payload.size(), 1023u);
  EXPECT_EQ(d.value->payload, payload.substr(0, 1023));

  // Bytes that are not UTF-8 are replaced, never passed on.
  l.payload = std::string("{\"x\":\"\xFF\xFE\"}") + std::string(5000, 'z');
  d = DecodeDeadLetter(EncodeDeadLetter(l));
  ASSERT_TRUE(d.ok()) << d.error;
  EXPECT_LE(d.value->payload.size(), kDeadLetterPayloadBytes);
  EXPECT_TRUE(ValidUtf8(d.value->payload));
  EXPECT_THAT(d.value->payload, StartsWith("{\"x\":\"\xEF\xBF\xBD\xEF\xBF\xBD\"}zzz"));
}

TEST(MessagesTest, ErrorsNameTheField) {
  Decoded<Query> q = DecodeRequest(R"({"request_id":"r","activity":"gym","k":1000})");
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.code, "schema");
  EXPECT_THAT(q.error, StartsWith("k:"));
  EXPECT_THAT(q.error, HasSubstr("1000"));

  q = DecodeRequest(R"({"request_id":"r","activity":"gym","lat":40.7})");
  EXPECT_EQ(q.code, "schema");
  EXPECT_THAT(q.error, StartsWith("lon:"));

  q = DecodeRequest(R"({"request_id":"r","activity":"gym","colour":"red"})");
  EXPECT_EQ(q.code, "schema");
  EXPECT_THAT(q.error, StartsWith("colour:"));

  q = DecodeRequest(R"({"request_id":"has space","activity":"gym"})");
  EXPECT_EQ(q.code, "schema");
  EXPECT_THAT(q.error, StartsWith("request_id:"));

  Decoded<Event> e = DecodeEvent(R"({"event_id":"e","type":"visit","place_id":"p","ts":0})");
  EXPECT_EQ(e.code, "schema");
  EXPECT_THAT(e.error, StartsWith("user_id:"));

  e = DecodeEvent(
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":"2012-04-03T18:00:09+00:00"})");
  EXPECT_EQ(e.code, "schema");
  EXPECT_THAT(e.error, StartsWith("ts:"));

  Decoded<Place> p =
      DecodePlace(R"({"place_id":"p","name":"n","lat":91,"lon":0,"activities":["Gym"]})");
  EXPECT_EQ(p.code, "schema");
  EXPECT_THAT(p.error, StartsWith("lat:"));

  p = DecodePlace(R"({"place_id":"p","name":"n","lat":1,"lon":0,"activities":["Gym","Gym"]})");
  EXPECT_EQ(p.code, "schema");
  EXPECT_THAT(p.error, StartsWith("activities[1]:"));
}

TEST(MessagesTest, RejectsAMessageOverTheSizeLimitAsTooLarge) {
  // A well-formed request padded to just over 64 KiB.
  std::string big = R"({"request_id":"r","activity":"gym","exclude":[)";
  while (big.size() <= kMaxMessageBytes) big += R"("pppppppppp",)";
  big += R"("last"]})";
  Decoded<Query> q = DecodeRequest(big);
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.code, "too_large");
  EXPECT_THAT(q.error, HasSubstr(std::to_string(big.size())));

  const std::string huge(2 * 1024 * 1024, ' ');
  EXPECT_EQ(DecodeEvent(huge).code, "too_large");
  EXPECT_EQ(DecodePlace(huge).code, "too_large");
  EXPECT_EQ(DecodeDeadLetter(huge).code, "too_large");
}

TEST(MessagesTest, AcceptsAMessageOfExactlyTheSizeLimit) {
  std::string msg = R"({"request_id":"r","activity":"gym"})";
  msg.insert(msg.size() - 1, std::string(kMaxMessageBytes - msg.size(), ' '));
  ASSERT_EQ(msg.size(), kMaxMessageBytes);
  const Decoded<Query> q = DecodeRequest(msg);
  EXPECT_TRUE(q.ok()) << q.code << ": " << q.error;
}

TEST(MessagesTest, ReportsInvalidUtf8InvalidJsonAndSchemaCodes) {
  EXPECT_EQ(DecodeRequest("{\"request_id\":\"r\",\"activity\":\"caf\xC3\"}").code, "invalid_utf8");
  EXPECT_EQ(DecodeRequest(R"({"request_id":"r","activity":)").code, "invalid_json");
  EXPECT_EQ(DecodeRequest("").code, "invalid_json");
  EXPECT_EQ(DecodeRequest(R"({"request_id":"r","activity":NaN})").code, "invalid_json");
  EXPECT_EQ(DecodeRequest(R"(["request_id","r"])").code, "schema");
  EXPECT_EQ(DecodeRequest(R"("just a string")").code, "schema");
  EXPECT_EQ(DecodeRequest(R"({"request_id":"r"})").code, "schema");
  const Decoded<Query> ok = DecodeRequest(R"({"request_id":"r","activity":"gym"})");
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(ok.code.empty());
  EXPECT_TRUE(ok.error.empty());
}

TEST(MessagesTest, RatingWithoutValueIsRejected) {
  Decoded<Event> e =
      DecodeEvent(R"({"event_id":"e","type":"rating","user_id":"u","place_id":"p","ts":0})");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.code, "schema");
  EXPECT_THAT(e.error, StartsWith("value:"));
  e = DecodeEvent(
      R"({"event_id":"e","type":"rating","user_id":"u","place_id":"p","ts":0,"value":11})");
  EXPECT_FALSE(e.ok());
  EXPECT_THAT(e.error, StartsWith("value:"));
  e = DecodeEvent(
      R"({"event_id":"e","type":"rating","user_id":"u","place_id":"p","ts":0,"value":8})");
  ASSERT_TRUE(e.ok()) << e.error;
  EXPECT_EQ(e.value->value, 8.0);
}

TEST(MessagesTest, SalvagesTheRequestIdOfAnInvalidRequest) {
  EXPECT_EQ(SalvageRequestId(R"({"request_id":"req-9","k":1000})"), "req-9");
  EXPECT_EQ(SalvageRequestId(R"({"request_id":"req-9","activity":""})"), "req-9");
  EXPECT_EQ(SalvageRequestId(R"({"request_id":"has space"})"), "");
  EXPECT_EQ(SalvageRequestId(R"({"request_id":42})"), "");
  EXPECT_EQ(SalvageRequestId(R"({"activity":"gym"})"), "");
  EXPECT_EQ(SalvageRequestId(R"({"request_id":"req-9")"), "");
  EXPECT_EQ(SalvageRequestId("{\"request_id\":\"r\xFF\"}"), "");
  EXPECT_EQ(SalvageRequestId(R"(["req-9"])"), "");
}

TEST(MessagesTest, ValidIdAcceptsPrintableAsciiUpTo128Characters) {
  EXPECT_TRUE(ValidId("a"));
  EXPECT_TRUE(ValidId("4bf00a3b51f2c9b6091cf192"));
  EXPECT_TRUE(ValidId("!~{}"));
  EXPECT_TRUE(ValidId(std::string(128, 'x')));
  EXPECT_FALSE(ValidId(""));
  EXPECT_FALSE(ValidId(std::string(129, 'x')));
  EXPECT_FALSE(ValidId("a b"));
  EXPECT_FALSE(ValidId("tab\there"));
  EXPECT_FALSE(ValidId("caf\xC3\xA9"));
}

}  // namespace
}  // namespace locus
