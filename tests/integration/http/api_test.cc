// Every route of the HTTP API against a real `locus serve`, through a plain socket client:
// answers equal to the requests topic's, errors with status codes and messages, POST /events
// flowing through Kafka into the state, and /metrics parsed by the Prometheus parser.
#include "src/codec/messages.h"
#include "tests/integration/http/http_stack.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>

namespace locus::itest {
namespace {

Answer DecodeAnswer(const HttpReply& r) {
  Decoded<Answer> d = DecodeResponse(r.body);
  EXPECT_TRUE(d.ok()) << "not a response message (" << d.error << "): " << r.body;
  return d.ok() ? *d.value : Answer{};
}

// Reads locus.responses until `request_id` arrives.
std::optional<Answer> TopicAnswer(const std::string& bootstrap, const std::string& request_id) {
  PlainReader responses(bootstrap, "locus.responses");
  const auto deadline = Clock::now() + seconds(60);
  while (Clock::now() < deadline) {
    std::optional<KafkaMessage> m = responses.Next(200);
    if (!m) continue;
    Answer a = MustDecodeResponse(m->value);
    if (a.request_id == request_id) return a;
  }
  return std::nullopt;
}

TEST(HttpApiTest, RecommendAnswersAsTheRequestsTopicDoes) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  const std::string query = "activity=coffee%20shops&user_id=user-9&lat=40.73&lon=-73.995&k=5";
  HttpReply r = s.Get("/recommend?request_id=h1&" + query);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  Answer http = DecodeAnswer(r);
  SCOPED_TRACE(DescribeAnswer(http));
  EXPECT_EQ(http.request_id, "h1");
  EXPECT_TRUE(http.ok);
  EXPECT_EQ(http.activity, "Coffee Shop");
  ASSERT_EQ(http.items.size(), 2u);
  EXPECT_EQ(http.items[0].place.str(), "cafe-popular");
  EXPECT_EQ(http.items[0].name, "Popular Cafe");
  ASSERT_TRUE(http.items[0].distance_km.has_value());
  EXPECT_FALSE(http.items[0].reasons.empty());
  EXPECT_FALSE(http.model_version.empty());

  // The same question on the requests topic gets the same answer.
  PlainProducer producer(s.stack().bootstrap());
  ASSERT_TRUE(producer
                  .Send("locus.requests", "user-9",
                        R"({"request_id":"t1","activity":"coffee shops","user_id":"user-9",)"
                        R"("lat":40.73,"lon":-73.995,"k":5})")
                  .ok);
  std::optional<Answer> topic = TopicAnswer(s.stack().bootstrap(), "t1");
  ASSERT_TRUE(topic) << s.stack().ServeLog();
  EXPECT_EQ(topic->activity, http.activity);
  EXPECT_EQ(topic->model_version, http.model_version);
  ASSERT_EQ(topic->items.size(), http.items.size());
  for (size_t i = 0; i < http.items.size(); ++i) {
    EXPECT_EQ(topic->items[i].place, http.items[i].place) << i;
    EXPECT_DOUBLE_EQ(topic->items[i].score, http.items[i].score) << i;
    EXPECT_EQ(topic->items[i].reasons, http.items[i].reasons) << i;
  }

  // Without a request_id the server makes one.
  Answer anonymous = DecodeAnswer(s.Get("/recommend?activity=Coffee&k=1"));
  EXPECT_TRUE(anonymous.request_id.starts_with("http-")) << anonymous.request_id;
  EXPECT_EQ(anonymous.items.size(), 1u);
}

TEST(HttpApiTest, BadRequestsGet400WithTheTopicsErrorFormat) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  struct Case {
    std::string query;
    int status;
    std::string message;  // a part of the error text
  };
  const std::vector<Case> cases = {
      {"activity=coffee&lat=abc&lon=1", 400, "lat"},
      {"activity=coffee&lat=91&lon=1", 400, "lat"},
      {"activity=coffee&k=1000", 400, "k"},
      {"activity=coffee&k=2.5", 400, "k"},
      {"activity=coffee&radius_km=-1", 400, "radius_km"},
      {"activity=coffee&user_id=has%20space", 400, "user_id"},
      {"k=3", 400, "activity"},
      {"activity=coffee&colour=red", 400, "unknown parameter 'colour'"},
      {"activity=coffee&k=1&k=2", 400, "more than once"},
      {"activity=%FF%FE", 400, "UTF-8"},
      {"activity=underwater%20basket%20weaving", 404, "underwater"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    HttpReply r = s.Get("/recommend?request_id=bad-1&" + c.query);
    EXPECT_EQ(r.status, c.status) << r.body;
    Answer a = DecodeAnswer(r);
    EXPECT_FALSE(a.ok);
    EXPECT_EQ(a.request_id, "bad-1");
    EXPECT_NE(a.error.find(c.message), std::string::npos) << a.error;
    EXPECT_TRUE(a.items.empty());
  }
  // An unknown activity comes with the closest known ones, as on the topic.
  Answer typo = DecodeAnswer(s.Get("/recommend?activity=climbing%20gymnasium%20xyz"));
  if (!typo.ok) {
    EXPECT_FALSE(typo.suggestions.empty()) << typo.error;
  }

  // Unknown paths and methods are JSON errors too.
  HttpReply missing = s.Get("/nowhere");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("\"status\":\"error\""), std::string::npos) << missing.body;
}

TEST(HttpApiTest, ActivitiesAndPlaces) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  HttpReply a = s.Get("/activities?prefix=cof");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, R"({"activities":["Coffee Shop"],"prefix":"cof"})");
  HttpReply all = s.Get("/activities");
  ASSERT_EQ(all.status, 200);
  // Most popular first: the coffee shops have 7 visits, the gym 1.
  EXPECT_EQ(all.body, R"({"activities":["Coffee Shop","Climbing Gym"],"prefix":""})");
  HttpReply alias = s.Get("/activities?prefix=bouldering");
  EXPECT_EQ(alias.body, R"({"activities":["Climbing Gym"],"prefix":"bouldering"})");
  HttpReply typo = s.Get("/activities?prefix=cofee%20shop");
  EXPECT_EQ(typo.body, R"({"activities":["Coffee Shop"],"prefix":"cofee shop"})");
  EXPECT_EQ(s.Get("/activities?prefix=c&limit=0").status, 400);
  EXPECT_EQ(s.Get("/activities?prefix=c&limit=x").status, 400);
  EXPECT_EQ(s.Get("/activities?colour=red").status, 400);

  HttpReply place = s.Get("/places/cafe-quiet");
  ASSERT_EQ(place.status, 200) << place.body;
  EXPECT_NE(place.body.find(R"("name":"Quiet Cafe")"), std::string::npos) << place.body;
  EXPECT_NE(place.body.find(R"("activities":["Coffee Shop"])"), std::string::npos);
  HttpReply unknown = s.Get("/places/no-such-place");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("no-such-place"), std::string::npos) << unknown.body;
  EXPECT_EQ(s.Get("/places/bad%20id").status, 400);

  HttpReply list = s.Get("/places?limit=2");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find(R"("total":3)"), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("cafe-popular"), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("gym-rocks"), std::string::npos) << "sorted by id, cut at 2";
}

TEST(HttpApiTest, PostedEventsFlowThroughKafkaIntoStateAndMetrics) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s.PublishSmallCity());

  HttpStack::Metrics before = s.ScrapeMetrics();
  EXPECT_EQ(before.types["locus_events"], "counter");
  EXPECT_EQ(before.types["locus_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(before.types["locus_consumer_lag"], "gauge");
  const std::string applied = R"(locus_events_total{outcome="applied",type="visit"})";
  EXPECT_EQ(before.Get(applied), 8);
  EXPECT_EQ(before.Get("locus_model_events_applied"), 8);
  EXPECT_EQ(before.Get("locus_places"), 3);
  EXPECT_GT(before.Get("locus_rocksdb_size_bytes"), 0);
  EXPECT_GT(before.Get(R"(locus_rocksdb_memory_bytes{part="memtables"})"), 0);
  EXPECT_GE(before.Get(R"(locus_rocksdb_memory_bytes{part="table_readers"})"), 0);
  // model_version is the one answers carry.
  const Answer probe = DecodeAnswer(s.Get("/recommend?activity=coffee"));
  EXPECT_EQ(before.Get("locus_model_info{model_version=\"" + probe.model_version + "\"}"), 1);

  // Three visits to the quiet cafe through HTTP make it the most visited by user-8.
  for (int i = 0; i < 3; ++i) {
    HttpReply r = s.Post("/events", Visit(100 + i, "user-8", "cafe-quiet", "2012-04-04T10:00:00Z"));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.body,
              R"({"event_id":"ev-)" + std::to_string(100 + i) + R"(","status":"accepted"})");
  }
  // Invalid events are refused with the decoder's reason and never reach the topic.
  HttpReply bad = s.Post("/events", R"({"event_id":"x","type":"teleport"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("code":"schema")"), std::string::npos) << bad.body;
  HttpReply not_json = s.Post("/events", "{nope");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find("invalid_json"), std::string::npos) << not_json.body;
  // A body over http.max_request_bytes (64 KiB by default) is refused before it is read.
  HttpReply huge = s.Post("/events", std::string(70000, ' '));
  EXPECT_EQ(huge.status, 413) << huge.body;

  // Bad input straight on the topic ends as a dead letter, counted by reason.
  PlainProducer producer(s.stack().bootstrap());
  ASSERT_TRUE(producer.Send("locus.events", "u", "not json at all").ok);
  ASSERT_TRUE(
      producer.Send("locus.events", "u", Visit(200, "u", "nowhere", "2012-04-04T10:00:00Z")).ok);
  ASSERT_TRUE(GroupCaughtUp(s.stack().bootstrap(), "locus", "locus.events", 60000));

  // The counters moved as the events flowed.
  // Responses are counted once they are written (httplib's logger), so after the client has
  // them: they are waited for too.
  HttpStack::Metrics after;
  const auto deadline = Clock::now() + seconds(30);
  do {
    after = s.ScrapeMetrics();
    if (after.Get(applied) == 11 && after.Get(R"(locus_consumer_lag{topic="locus.events"})") == 0 &&
        after.Get(R"(locus_http_responses_total{code="202",route="/events"})") == 3 &&
        after.Get(R"(locus_http_responses_total{code="413",route="/events"})") == 1) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(300));
  } while (Clock::now() < deadline);
  EXPECT_EQ(after.Get(applied), 11);
  EXPECT_EQ(after.Get("locus_model_events_applied"), 11);
  EXPECT_EQ(after.Get("locus_http_events_accepted_total"), 3);
  EXPECT_EQ(after.Get(R"(locus_events_total{outcome="rejected",type="undecodable"})"), 1);
  EXPECT_EQ(after.Get(R"(locus_events_total{outcome="rejected",type="visit"})"), 1);
  EXPECT_EQ(after.Get(R"(locus_deadletters_by_reason_total{reason="invalid_json"})"), 1);
  EXPECT_EQ(after.Get(R"(locus_deadletters_by_reason_total{reason="unknown_place"})"), 1);
  EXPECT_EQ(after.Get("locus_deadletters_total"), 2);
  EXPECT_EQ(after.Get(R"(locus_consumer_lag{topic="locus.events"})"), 0);
  EXPECT_GT(after.Get("locus_assigned_partitions"), 0);
  // Every request so far is in the latency histogram of its route.
  EXPECT_EQ(after.Get(R"(locus_http_request_duration_seconds_count{route="/events"})"), 5);
  EXPECT_GE(after.Get(R"(locus_http_request_duration_seconds_count{route="/metrics"})"), 1);
  EXPECT_EQ(after.Get(R"(locus_http_responses_total{code="202",route="/events"})"), 3);
  // The engine's own answer latency counts the probe answered since the first scrape.
  EXPECT_EQ(after.types["locus_answer_latency_seconds"], "histogram");
  EXPECT_GE(after.Get("locus_answer_latency_seconds_count"),
            before.Get("locus_answer_latency_seconds_count") + 1);
  EXPECT_EQ(after.Get(R"(locus_http_responses_total{code="413",route="/events"})"), 1);

  // The posted visits are in the state: user-8's own history now ranks the quiet cafe first.
  Answer a = DecodeAnswer(s.Get("/recommend?activity=coffee&user_id=user-8&k=2"));
  ASSERT_FALSE(a.items.empty()) << DescribeAnswer(a);
  EXPECT_EQ(a.items[0].place.str(), "cafe-quiet") << DescribeAnswer(a);
}

TEST(HttpApiTest, HealthAndReadiness) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  HttpReply health = s.Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"alive"})");
  // Ready once the consumer holds its partitions (Kafka reachable, snapshots disabled).
  HttpReply ready;
  const auto deadline = Clock::now() + seconds(60);
  do {
    ready = s.Get("/readyz");
    if (ready.status == 200) break;
    std::this_thread::sleep_for(milliseconds(200));
  } while (Clock::now() < deadline);
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_NE(ready.body.find(R"("status":"ready")"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(R"("kafka":{"ok":true,"partitions":12})"), std::string::npos)
      << ready.body;
  EXPECT_NE(ready.body.find(R"("snapshots":"disabled")"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find(R"("lag_total":0)"), std::string::npos) << ready.body;
}

// A token, a tiny rate limit and body limit, and a MySQL that is not there.
TEST(HttpGuardsTest, TokenSizeAndRateLimitsAndUnreachableMysql) {
  TempDir dir;
  HttpStack s(dir, R"(mysql:
  port: 1
  snapshot_interval_s: 60
http:
  token: s3cret
  max_request_bytes: 1024
  rate_limit_per_s: 0.5
  rate_limit_burst: 12
)");
  ASSERT_TRUE(s.ok());
  // Health checks need no token and are never rate limited.
  EXPECT_EQ(s.Get("/healthz").status, 200);
  // MySQL unreachable: once the consumer holds its partitions and Kafka answers, MySQL alone
  // keeps it from being ready, and the check says so.
  const std::regex consumer_ok(R"("consumer":\{[^}]*\},"lag_total":0,"ok":true\})");
  const std::regex mysql_down(R"("mysql":\{"failures":[1-9][0-9]*,"ok":false)");
  HttpReply ready;
  const auto deadline = Clock::now() + seconds(60);
  do {
    ready = s.Get("/readyz");
    if (std::regex_search(ready.body, consumer_ok) && std::regex_search(ready.body, mysql_down)) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(200));
  } while (Clock::now() < deadline);
  EXPECT_TRUE(std::regex_search(ready.body, consumer_ok)) << ready.body;
  EXPECT_TRUE(std::regex_search(ready.body, mysql_down)) << ready.body;
  EXPECT_NE(ready.body.find(R"("kafka":{"ok":true)"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find(R"("status":"not_ready")"), std::string::npos) << ready.body;

  // 1: no token; 2: wrong token; 3: right token.
  HttpReply none = s.Get("/activities");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer");
  EXPECT_NE(none.body.find("bearer token"), std::string::npos) << none.body;
  EXPECT_EQ(s.Get("/activities", "wrong").status, 401);
  EXPECT_EQ(s.Get("/metrics", "s3cre").status, 401);
  EXPECT_EQ(s.Get("/activities", "s3cret").status, 200);
  EXPECT_EQ(s.Post("/events", "{}").status, 401);
  // 4: too large (1 KiB limit) with the right token.
  EXPECT_EQ(s.Post("/events", std::string(2000, 'x'), "s3cret").status, 413);
  // The static page is public (the page sends the token with its API calls).
  HttpReply page = s.Get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>locus"), std::string::npos);

  // The burst of 12 is spent within these requests: 429 with Retry-After follows.
  int limited = 0;
  for (int i = 0; i < 15; ++i) {
    HttpReply r = s.Get("/activities", "s3cret");
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.headers["retry-after"], "1");
      EXPECT_NE(r.body.find("too many requests"), std::string::npos) << r.body;
    }
  }
  EXPECT_GE(limited, 5);
  EXPECT_EQ(s.Get("/healthz").status, 200);
  EXPECT_EQ(s.stack().StopServe(), 0) << s.stack().ServeLog();
}

}  // namespace
}  // namespace locus::itest

namespace locus::itest {
namespace {

TEST(HttpListenTest, ABusyPortIsAnErrorAndAnEmptyAddressTurnsHttpOff) {
  TempDir dir;
  HttpStack s(dir);
  ASSERT_TRUE(s.ok());
  const std::string busy = "127.0.0.1:" + std::to_string(s.port());

  SpawnOptions o;
  o.stderr_path = dir / "second.log";
  o.stdout_path = dir / "second.out";
  auto second =
      Child::Spawn({LocusBinary(), "serve", "--bootstrap", s.stack().bootstrap(), "--data-dir",
                    dir / "state-2", "--config", dir / "locus.yaml", "--http", busy},
                   o);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->Wait(seconds(60)), 1) << second->Describe();
  EXPECT_NE(second->Stderr().find("cannot listen on " + busy), std::string::npos)
      << second->Stderr();

  o.stderr_path = dir / "third.log";
  o.stdout_path = dir / "third.out";
  auto third =
      Child::Spawn({LocusBinary(), "serve", "--bootstrap", s.stack().bootstrap(), "--data-dir",
                    dir / "state-3", "--config", dir / "locus.yaml", "--http", ""},
                   o);
  ASSERT_NE(third, nullptr);
  // Up once its state is loaded (however long that takes on a busy machine); the HTTP API would
  // start right after, so two more seconds show it did not.
  const auto deadline = Clock::now() + seconds(60);
  while (third->running() && third->Stderr().find("state loaded") == std::string::npos &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  std::this_thread::sleep_for(seconds(2));
  EXPECT_TRUE(third->running()) << third->Describe();
  EXPECT_EQ(ReadFileText(dir / "third.out").find("http:"), std::string::npos);
  EXPECT_NE(third->Stderr().find("state loaded"), std::string::npos) << third->Stderr();
  EXPECT_EQ(third->Stderr().find("HTTP API"), std::string::npos) << third->Stderr();
  third->Signal(SIGTERM);
  EXPECT_EQ(third->Wait(seconds(60)), 0) << third->Describe();
  // The first engine still answers.
  EXPECT_EQ(s.Get("/healthz").status, 200);
}

}  // namespace
}  // namespace locus::itest
