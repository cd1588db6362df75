#include "bench/load/kafka_common.h"

#include "src/codec/messages.h"

#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>

namespace locus::bench {

BenchCluster StartCluster(int partitions) {
  BenchCluster c;
  c.partitions = partitions;
  const KafkaConfig& k = c.kafka;
  auto cl = kafka::EmbeddedCluster::Start(
      1, {k.places_topic, k.events_topic, k.requests_topic, k.responses_topic, k.deadletter_topic},
      partitions);
  if (!cl.ok()) Check(cl.status(), "starting the embedded cluster");
  c.cluster = std::move(*cl);
  c.client = {{"bootstrap.servers", c.cluster->bootstrap()}, {"log_level", "3"}};
  return c;
}

std::unique_ptr<kafka::Producer> BulkProducer(const BenchCluster& c) {
  kafka::Properties p = c.client;
  p["linger.ms"] = "5";
  p["batch.num.messages"] = "10000";
  p["queue.buffering.max.messages"] = "1000000";
  p["queue.buffering.max.kbytes"] = "1048576";
  p["partitioner"] = "murmur2_random";
  p["message.max.bytes"] = "4194304";
  auto producer = kafka::Producer::Create(p);
  if (!producer.ok()) Check(producer.status(), "creating a producer");
  return std::move(*producer);
}

int64_t Preload(const BenchCluster& c, Workload& w, int64_t events) {
  auto producer = BulkProducer(c);
  for (const Place& p : w.places()) {
    Check(producer->Produce(c.kafka.places_topic, p.id.str(), EncodePlace(p)), "producing");
  }
  int64_t bytes = 0;
  for (int64_t i = 0; i < events; ++i) {
    const Event e = w.Next();
    const std::string v = EncodeEvent(e);
    bytes += static_cast<int64_t>(v.size());
    Check(producer->Produce(c.kafka.events_topic, e.user.str(), v), "producing");
  }
  Check(producer->Flush(300000), "delivering the preload");
  if (producer->delivery_failures() > 0) {
    std::fprintf(stderr, "preload: %lld delivery failures\n",
                 static_cast<long long>(producer->delivery_failures()));
    std::exit(1);
  }
  return bytes;
}

double RawConsume(const BenchCluster& c, const std::string& topic, int64_t expected,
                  double timeout_s) {
  kafka::Properties p = c.client;
  p["group.id"] = "locus-bench-raw";
  p["enable.auto.commit"] = "false";
  p["enable.auto.offset.store"] = "false";
  p["fetch.max.bytes"] = "8388608";
  p["max.partition.fetch.bytes"] = "4194304";
  p["receive.message.max.bytes"] = "16777216";
  auto h = kafka::NewClient(kafka::Role::kConsumer, p);
  if (!h.ok()) Check(h.status(), "creating the raw consumer");
  rd_kafka_t* rk = h->get();
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(c.partitions);
  for (int i = 0; i < c.partitions; ++i) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), i)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  int64_t n = 0;
  size_t bytes = 0;
  const auto start = Clock::now();
  Clock::time_point first{}, last{};
  while (n < expected && Since(start) < timeout_s) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (n++ == 0) first = Clock::now();
      bytes += m->len;  // touch what was read
      last = Clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  if (n < expected || bytes == 0) return -1;
  return std::chrono::duration<double>(last - first).count();
}

int64_t MaxLowWatermark(const BenchCluster& c, const std::string& topic) {
  auto producer = BulkProducer(c);
  int64_t low = 0;
  for (int i = 0; i < c.partitions; ++i) {
    auto w = kafka::QueryWatermarks(producer->raw(), topic, i);
    if (w.ok()) low = std::max(low, w->low);
  }
  return low;
}

}  // namespace locus::bench
