// The events topic's fast decoder agrees with the general one: whatever it decodes, the
// general way decodes to the same event; whatever it leaves, the general way decides.
#include "src/codec/fast_event.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace locus::codec {
namespace {

// Both events are the same, to the bit (a -0 latitude is not a +0 one).
void ExpectSame(const Event& a, const Event& b, const std::string& json) {
  SCOPED_TRACE(json);
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.place, b.place);
  EXPECT_EQ(a.activity, b.activity);
  EXPECT_EQ(a.ts, b.ts);
  ASSERT_EQ(a.position.has_value(), b.position.has_value());
  if (a.position) {
    EXPECT_EQ(a.position->lat, b.position->lat);
    EXPECT_EQ(std::signbit(a.position->lat), std::signbit(b.position->lat));
    EXPECT_EQ(a.position->lon, b.position->lon);
    EXPECT_EQ(std::signbit(a.position->lon), std::signbit(b.position->lon));
  }
  ASSERT_EQ(a.value.has_value(), b.value.has_value());
  if (a.value) {
    EXPECT_EQ(*a.value, *b.value);
    EXPECT_EQ(std::signbit(*a.value), std::signbit(*b.value));
  }
}

// {"event_id":"e1",...} with `fields` after the required ones.
std::string EventJson(const std::string& fields, const std::string& type = "visit") {
  return R"({"event_id":"e1","type":")" + type +
         R"(","user_id":"u1","place_id":"p1","ts":"2012-04-03T18:00:09Z")" + fields + "}";
}

// Plain events: the fast decoder takes each, and gives what the general way gives.
TEST(FastEventTest, DecodesPlainEventsAsTheGeneralWayDoes) {
  const std::vector<std::string> plain = {
      EventJson(""),
      EventJson("", "click"),
      EventJson(R"(,"value":7.5)", "rating"),
      EventJson(R"(,"value":0)", "rating"),
      EventJson(R"(,"activity":"Coffee Shop")"),
      EventJson(R"(,"activity":"Café ☕ naïve")"),
      EventJson(R"(,"lat":40.7128,"lon":-74.006)"),
      EventJson(R"(,"lat":-0,"lon":-0.0)"),
      EventJson(R"(,"lat":90,"lon":-180)"),
      EventJson(R"(,"lat":1e1,"lon":2.5E-3)"),
      EventJson(R"(,"lat":0.950000000000000000,"lon":-0.123456789012345678)"),  // 19 digits
      EventJson(R"(,"value":10)"),
      R"({"ts":1333476009000,"place_id":"p-9","user_id":"u_7","type":"click","event_id":"x"})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":0})",
      " \n{ \"event_id\" : \"e\" , \"type\":\"visit\",\"user_id\":\"u\",\"place_id\":\"p\","
      "\"ts\":\"2012-04-03T18:00:09.123Z\"}\r\n\t",
  };
  for (const std::string& json : plain) {
    const std::optional<Event> fast = FastDecodeEvent(json);
    const Decoded<Event> tree = DecodeEventByTree(json);
    ASSERT_TRUE(fast.has_value()) << json;
    ASSERT_TRUE(tree.ok()) << json << ": " << tree.error;
    ExpectSame(*fast, *tree.value, json);
    // And DecodeEvent, which takes the fast way first, gives the same.
    const Decoded<Event> decoded = DecodeEvent(json);
    ASSERT_TRUE(decoded.ok());
    ExpectSame(*decoded.value, *tree.value, json);
  }
}

// Anything the general way rejects, the fast one leaves to it, so the error is the same; what
// it leaves that is valid (escapes, a repeated key...) the general way decodes.
TEST(FastEventTest, LeavesEverythingElseToTheGeneralWay) {
  const std::vector<std::string> other = {
      "",
      "null",
      "[]",
      "{}",
      EventJson(","),
      EventJson("") + "x",
      EventJson("") + "{}",
      EventJson(R"(,"extra":1)"),
      EventJson(R"(,"event_id":"e2")"),  // repeated key: the general way takes the last
      R"({"event_id":"e\u0031","type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"e 1","type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"","type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":1,"type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p"})",
      R"({"event_id":"e","type":"walk","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"e","type":null,"user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":-1})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":1.0})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":1e3})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":253402300800000})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":18446744073709551615})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":"yesterday"})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":"2012-04-03"})",
      EventJson("", "rating"),
      EventJson(R"(,"value":10.5)", "rating"),
      EventJson(R"(,"value":-1)"),
      EventJson(R"(,"value":"7")", "rating"),
      EventJson(R"(,"lat":40.7)"),
      EventJson(R"(,"lon":-74)"),
      EventJson(R"(,"lat":91,"lon":0)"),
      EventJson(R"(,"lat":0,"lon":180.5)"),
      EventJson(R"(,"lat":1e400,"lon":0)"),
      EventJson(R"(,"lat":01,"lon":0)"),
      EventJson(R"(,"lat":1.,"lon":0)"),
      EventJson(R"(,"lat":[1],"lon":0)"),
      EventJson(R"(,"lat":{"x":1},"lon":0)"),
      EventJson(R"(,"lat":true,"lon":0)"),
      EventJson(R"(,"value":123456789012345678901234567890)"),
      // 20 significant digits: simdjson 3.0.1 misreads these (0.5 as 0.131), so the general
      // way reads them.
      EventJson(R"(,"value":0.50000000000000000000)", "rating"),
      EventJson(R"(,"lat":0.95000000000000000000,"lon":0)"),
      EventJson(R"(,"lat":-0.95000000000000000000,"lon":0)"),
      EventJson(R"(,"activity":"")"),
      EventJson(R"(,"activity":")" + std::string(65, 'a') + "\""),
      EventJson(R"(,"activity":")" + std::string(64, 'a') + "\""),
      EventJson(",\"activity\":\"tab\there\""),
      EventJson(",\"activity\":\"new\nline\""),
      EventJson(R"(,"activity":"Caf\u00e9")"),
      EventJson(R"(,"activity":7)"),
      EventJson(",\"activity\":\"bad \xff byte\""),
      EventJson(",\"activity\":\"cut \xc3\""),
      EventJson(R"(,"activity":"a",)"),
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":0)",
      R"({"event_id":"e" "type":"visit","user_id":"u","place_id":"p","ts":0})",
      R"({"event_id":"e","type":"visit","user_id":"u","place_id":"p","ts":0}})",
      R"({'event_id':'e'})",
  };
  int fast_taken = 0;
  for (const std::string& json : other) {
    const std::optional<Event> fast = FastDecodeEvent(json);
    const Decoded<Event> tree = DecodeEventByTree(json);
    const Decoded<Event> decoded = DecodeEvent(json);
    EXPECT_EQ(decoded.ok(), tree.ok()) << json;
    EXPECT_EQ(decoded.code, tree.code) << json;
    EXPECT_EQ(decoded.error, tree.error) << json;
    if (fast) {
      ++fast_taken;
      ASSERT_TRUE(tree.ok()) << "the fast way took what the general way rejects (" << tree.error
                             << "): " << json;
      ExpectSame(*fast, *tree.value, json);
    }
  }
  // The 64-character activity is the only plain one of the list.
  EXPECT_EQ(fast_taken, 1);
}

// Every single-byte change of a plain event, decoded both ways: they never disagree.
TEST(FastEventTest, AgreesWithTheGeneralWayOnEveryOneByteChange) {
  const std::string base =
      R"({"event_id":"e12","type":"rating","user_id":"u7","place_id":"p3","activity":"Bar",)"
      R"("ts":1333476009000,"lat":40.5,"lon":-73.25,"value":4})";
  const std::string bytes = "\"{}[]:,.-+eE0159 \\\x01xaé";
  int fast_taken = 0, checked = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    for (char b : bytes) {
      for (int mode = 0; mode < 3; ++mode) {
        std::string json = base;
        if (mode == 0) json[i] = b;
        if (mode == 1) json.insert(json.begin() + static_cast<std::ptrdiff_t>(i), b);
        if (mode == 2) json.erase(i, 1);
        const std::optional<Event> fast = FastDecodeEvent(json);
        const Decoded<Event> tree = DecodeEventByTree(json);
        ++checked;
        if (!fast) continue;
        ++fast_taken;
        ASSERT_TRUE(tree.ok()) << "the fast way took what the general way rejects (" << tree.error
                               << "): " << json;
        ExpectSame(*fast, *tree.value, json);
      }
    }
  }
  // Many changes keep the event plain (a digit for a digit, a letter in an id): the fast way
  // is exercised, not only the general one.
  EXPECT_GT(fast_taken, 100) << "of " << checked;
}

}  // namespace
}  // namespace locus::codec
