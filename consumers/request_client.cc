#include "consumers/request_client.h"

#include "src/codec/messages.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <random>
#include <unistd.h>

namespace locus::kafka {

Result<std::unique_ptr<RequestClient>> RequestClient::Create(const KafkaConfig& kafka,
                                                             const Properties& client) {
  std::unique_ptr<RequestClient> c(new RequestClient());
  c->kafka_ = kafka;
  Properties producer = client;
  producer["linger.ms"] = "0";
  producer["partitioner"] = "murmur2_random";
  auto p = Producer::Create(producer);
  if (!p.ok()) return p.status();
  c->producer_ = std::move(*p);

  Properties consumer = client;
  consumer["group.id"] = kafka.responses_topic + ".client";  // never joins nor commits
  consumer["enable.auto.commit"] = "false";
  auto h = NewClient(Role::kConsumer, consumer);
  if (!h.ok()) return h.status();
  c->consumer_ = std::move(*h);
  auto n = PartitionCount(c->consumer_.get(), kafka.responses_topic);
  if (!n.ok()) return n.status();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(*n);
  for (int32_t part = 0; part < *n; ++part) {
    auto w = QueryWatermarks(c->consumer_.get(), kafka.responses_topic, part);
    if (!w.ok()) {
      rd_kafka_topic_partition_list_destroy(list);
      return w.status();
    }
    rd_kafka_topic_partition_list_add(list, kafka.responses_topic.c_str(), part)->offset = w->high;
  }
  rd_kafka_resp_err_t e = rd_kafka_assign(c->consumer_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error(std::string("assigning responses: ") + rd_kafka_err2str(e));
  }
  return c;
}

RequestClient::~RequestClient() {
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

Result<Answer> RequestClient::Ask(Query query, int timeout_ms) {
  if (query.request_id.empty()) {
    std::random_device rd;
    char buf[64];
    std::snprintf(buf, sizeof buf, "req-%d-%08x%08x", static_cast<int>(getpid()), rd(), rd());
    query.request_id = buf;
  }
  const std::string key = query.user ? query.user->str() : query.request_id;
  return AskRaw(key, EncodeRequest(query), query.request_id, timeout_ms);
}

Result<Answer> RequestClient::AskRaw(const std::string& key, const std::string& value,
                                     const std::string& request_id, int timeout_ms) {
  Status s = producer_->Produce(kafka_.requests_topic, key, value);
  if (!s.ok()) return s;
  s = producer_->Flush(timeout_ms);
  if (!s.ok()) return s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 100);
    if (m == nullptr) continue;
    std::optional<Answer> found;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->payload != nullptr) {
      Decoded<Answer> d =
          DecodeResponse(std::string_view(static_cast<const char*>(m->payload), m->len));
      if (d.ok() && d.value->request_id == request_id) found = std::move(*d.value);
    }
    rd_kafka_message_destroy(m);
    if (found) return std::move(*found);
  }
  return Status::Error("no response to request " + request_id + " on " + kafka_.responses_topic +
                       " within " + std::to_string(timeout_ms) + " ms (is `locus serve` running?)");
}

}  // namespace locus::kafka
