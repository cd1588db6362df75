// Bad input never stops the engine and never disappears silently (DESIGN.md "Contracts"):
// every invalid event ends on locus.deadletter with its reason and source coordinates, every
// invalid request gets a status:error response, the engine keeps answering, and the counts by
// reason are kept in the state.
#include "tests/integration/kafka/plain_kafka.h"
#include "tests/integration/kafka/process.h"
#include "tests/integration/kafka/stack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace locus::itest {
namespace {

struct BadEvent {
  std::string what;  // for messages
  std::string key;
  std::string value;
  std::string code;   // expected reason code (prefix of the dead letter's reason)
  std::string names;  // the reason must also mention this (a field, a place id)
  Delivery delivery;
};

std::string EventJson(const std::string& fields) {
  return R"({"event_id":"e-1","type":"visit",)" + fields + "}";
}

std::vector<BadEvent> BadEvents() {
  const std::string ok_rest = R"("place_id":"cafe-1","ts":"2012-04-03T10:00:00Z")";
  std::vector<BadEvent> v;
  v.push_back({"malformed JSON",
               "u-json",
               R"({"event_id":"e-1","type":"visit","user_id":)",
               "invalid_json",
               "JSON",
               {}});
  v.push_back({"wrong type (lat is a string)",
               "u-type-lat",
               EventJson(R"("user_id":"u-type-lat",)" + ok_rest + R"(,"lat":"forty","lon":-73.9)"),
               "schema",
               "lat",
               {}});
  v.push_back({"wrong type (user_id is a number)",
               "u-type-user",
               EventJson(R"("user_id":42,)" + ok_rest),
               "schema",
               "user_id",
               {}});
  v.push_back({"missing field (no place_id)",
               "u-missing",
               EventJson(R"("user_id":"u-missing","ts":"2012-04-03T10:00:00Z")"),
               "schema",
               "place_id",
               {}});
  v.push_back({"unknown place",
               "u-unknown",
               EventJson(R"("user_id":"u-unknown","place_id":"no-such-place",)"
                         R"("ts":"2012-04-03T10:00:00Z")"),
               "unknown_place",
               "no-such-place",
               {}});
  v.push_back({"latitude out of range",
               "u-range",
               EventJson(R"("user_id":"u-range",)" + ok_rest + R"(,"lat":123.4,"lon":-73.9)"),
               "schema",
               "lat",
               {}});
  v.push_back({"2 MiB message",
               "u-big",
               EventJson(R"("user_id":"u-big",)" + ok_rest + R"(,"activity":")" +
                         std::string(2 * 1024 * 1024, 'x') + "\""),
               "too_large",
               "bytes",
               {}});
  v.push_back({"invalid UTF-8",
               "u-utf8",
               EventJson(R"("user_id":"u-utf8",)" + ok_rest + ",\"activity\":\"caf\xC3\x28\xFF\""),
               "invalid_utf8",
               "UTF-8",
               {}});
  return v;
}

struct BadRequest {
  std::string what;
  std::string key;
  std::string value;
  std::string request_id;  // the response's request_id
  std::string names;       // the error must mention this
};

std::vector<BadRequest> BadRequests() {
  return {
      {"huge k", "q-huge-k", R"({"request_id":"q-huge-k","activity":"coffee","k":1000})",
       "q-huge-k", "k: "},
      {"unknown activity", "q-unknown",
       R"({"request_id":"q-unknown","activity":"underwater basket weaving"})", "q-unknown",
       "underwater basket weaving"},
      // Nothing can be read from malformed JSON: the answer is correlated by the message key.
      {"malformed JSON", "q-bad-json", R"({"request_id":"q-bad-json","activity":)", "q-bad-json",
       "JSON"},
  };
}

std::map<std::string, int64_t> RejectedCounts(const std::string& dump) {
  std::map<std::string, int64_t> counts;
  std::istringstream lines(dump);
  for (std::string line; std::getline(lines, line);) {
    constexpr std::string_view kPrefix = "meta rejected/";
    if (!line.starts_with(kPrefix)) continue;
    const size_t space = line.rfind(' ');
    counts[line.substr(kPrefix.size(), space - kPrefix.size())] =
        std::stoll(line.substr(space + 1));
  }
  return counts;
}

TEST(BadInputTest, BadInputGoesToDeadLetterOrErrorResponse) {
  TempDir dir;
  Stack stack(dir);
  ASSERT_TRUE(stack.ok());
  PlainProducer producer(stack.bootstrap(), {{"message.max.bytes", "4194304"}});

  // One good place and event, so "Coffee Shop" is a known activity.
  ASSERT_TRUE(producer
                  .Send("locus.places", "cafe-1",
                        R"({"place_id":"cafe-1","name":"Cafe One","lat":40.72,"lon":-73.99,)"
                        R"("activities":["Coffee Shop"]})")
                  .ok);
  ASSERT_TRUE(producer
                  .Send("locus.events", "u-good",
                        EventJson(R"("user_id":"u-good","place_id":"cafe-1",)"
                                  R"("ts":"2012-04-03T09:00:00Z")"))
                  .ok);

  std::vector<BadEvent> events = BadEvents();
  for (BadEvent& e : events) {
    e.delivery = producer.Send("locus.events", e.key, e.value);
    ASSERT_TRUE(e.delivery.ok) << e.what << ": " << e.delivery.error;
  }

  // Every bad event shows up on the dead-letter topic, found by its source coordinates.
  PlainReader deadletters(stack.bootstrap(), "locus.deadletter");
  std::map<std::pair<int32_t, int64_t>, DeadLetter> letters;
  const auto deadline = Clock::now() + seconds(60);
  while (letters.size() < events.size() && Clock::now() < deadline) {
    std::optional<KafkaMessage> m = deadletters.Next(200);
    if (!m) continue;
    Decoded<DeadLetter> d = DecodeDeadLetter(m->value);
    ASSERT_TRUE(d.ok()) << "dead letter does not decode (" << d.error << "): " << m->value;
    EXPECT_EQ(d.value->topic, "locus.events") << m->value;
    EXPECT_EQ(m->key, d.value->key) << "dead letters are keyed by the original key";
    letters[{d.value->partition, d.value->offset}] = *d.value;
  }
  for (const BadEvent& e : events) {
    SCOPED_TRACE(e.what);
    auto it = letters.find({e.delivery.partition, e.delivery.offset});
    ASSERT_NE(it, letters.end()) << "no dead letter for locus.events/" << e.delivery.partition
                                 << "@" << e.delivery.offset << "\n"
                                 << stack.ServeLog();
    const DeadLetter& d = it->second;
    EXPECT_TRUE(d.reason.starts_with(e.code)) << d.reason;
    EXPECT_NE(d.reason.find(e.names), std::string::npos) << d.reason;
    EXPECT_EQ(d.key, e.key);
    EXPECT_FALSE(d.payload.empty());
    EXPECT_LE(d.payload.size(), kDeadLetterPayloadBytes);
    // The payload is the original up to its first invalid byte (those become U+FFFD).
    const size_t clean = std::min(e.value.find("\xC3\x28"), d.payload.size());
    EXPECT_EQ(d.payload.substr(0, clean), e.value.substr(0, clean))
        << "the payload starts like the original: " << d.payload;
    if (e.code == "invalid_utf8") {
      EXPECT_NE(d.payload.find("\xEF\xBF\xBD"), std::string::npos) << d.payload;
    }
  }
  EXPECT_EQ(letters.size(), events.size()) << "only bad events go to the dead-letter topic";

  // Every bad request gets an error response a person can act on.
  PlainReader responses(stack.bootstrap(), "locus.responses");
  std::vector<BadRequest> requests = BadRequests();
  for (const BadRequest& r : requests) {
    ASSERT_TRUE(producer.Send("locus.requests", r.key, r.value).ok) << r.what;
  }
  const std::string good = R"({"request_id":"q-good","activity":"coffee","k":3})";
  ASSERT_TRUE(producer.Send("locus.requests", "q-good", good).ok);
  std::map<std::string, Answer> answers;
  const auto answer_deadline = Clock::now() + seconds(60);
  while (answers.size() < requests.size() + 1 && Clock::now() < answer_deadline) {
    std::optional<KafkaMessage> m = responses.Next(200);
    if (!m) continue;
    Answer a = MustDecodeResponse(m->value);
    EXPECT_EQ(m->key.value_or(""), a.request_id) << m->value;
    EXPECT_TRUE(answers.emplace(a.request_id, a).second) << "two answers to " << a.request_id;
  }
  for (const BadRequest& r : requests) {
    SCOPED_TRACE(r.what);
    auto it = answers.find(r.request_id);
    ASSERT_NE(it, answers.end()) << "no response to " << r.request_id << "\n" << stack.ServeLog();
    const Answer& a = it->second;
    EXPECT_FALSE(a.ok) << DescribeAnswer(a);
    EXPECT_FALSE(a.error.empty());
    EXPECT_NE(a.error.find(r.names), std::string::npos) << a.error;
    EXPECT_TRUE(a.items.empty());
  }
  ASSERT_TRUE(answers.count("q-unknown"));
  EXPECT_FALSE(answers["q-unknown"].suggestions.empty()) << "an unknown activity gets suggestions";
  EXPECT_NE(std::find(answers["q-unknown"].suggestions.begin(),
                      answers["q-unknown"].suggestions.end(), "Coffee Shop"),
            answers["q-unknown"].suggestions.end())
      << "the only known activity is among the suggestions";

  // The engine stayed up and still answers.
  ASSERT_TRUE(answers.count("q-good")) << "no answer to a valid request\n" << stack.ServeLog();
  const Answer& ok = answers["q-good"];
  EXPECT_TRUE(ok.ok) << DescribeAnswer(ok);
  EXPECT_EQ(ok.activity, "Coffee Shop");
  ASSERT_EQ(ok.items.size(), 1u) << DescribeAnswer(ok);
  EXPECT_EQ(ok.items[0].place.str(), "cafe-1");

  // A clean stop, then the counts by reason are in the state.
  ASSERT_EQ(stack.StopServe(), 0) << stack.ServeLog();
  RunResult dump = RunToEnd({LocusBinary(), "state", "dump", "--data-dir", stack.data_dir()},
                            seconds(60), dir / "dump.log");
  ASSERT_EQ(dump.code, 0) << ReadFileText(dir / "dump.log");
  EXPECT_TRUE(dump.out.starts_with("events_applied 1\n")) << Tail(dump.out.substr(0, 200));
  const std::map<std::string, int64_t> want{{"invalid_json", 1},
                                            {"schema", 4},
                                            {"unknown_place", 1},
                                            {"too_large", 1},
                                            {"invalid_utf8", 1}};
  EXPECT_EQ(RejectedCounts(dump.out), want) << Tail(dump.out, 3000);
}

}  // namespace
}  // namespace locus::itest
