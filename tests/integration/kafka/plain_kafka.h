// Plain librdkafka clients for integration tests: what an independent app would write against
// the contracts, deliberately without locus's own Kafka helpers (consumers/kafka_client.h).
//
// PlainProducer produces and waits for each delivery report, so a test knows the partition
// and offset of every message it sent. PlainReader reads whole topics without a consumer
// group (all partitions assigned from the beginning). GroupProbe / GroupCaughtUp ask the
// cluster how far a consumer group has committed a topic (the engine mirrors the offsets it
// stores with its state to the group).
//
// Not thread-safe; one instance per thread. Errors are test failures (ADD_FAILURE), never
// exceptions.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace locus::itest {

// librdkafka's special offset and partition values, without the C casts of its macros.
inline constexpr int64_t kOffsetBeginning = -2;
inline constexpr int32_t kAnyPartition = -1;

struct KafkaMessage {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string> key;
  std::string value;
};

struct Delivery {
  bool ok = false;
  std::string error;
  int32_t partition = -1;
  int64_t offset = -1;
};

namespace detail {

inline rd_kafka_conf_t* MakeConf(const std::map<std::string, std::string>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "librdkafka property " << k << "=" << v << ": " << err;
    }
  }
  return conf;
}

inline rd_kafka_t* MakeClient(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    ADD_FAILURE() << "rd_kafka_new: " << err;
  }
  return rk;
}

inline int32_t PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
    rd_kafka_topic_destroy(rkt);
    int32_t n = 0;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      n = md->topics[0].partition_cnt;
    }
    if (md) rd_kafka_metadata_destroy(md);
    if (n > 0) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ADD_FAILURE() << "no metadata for topic " << topic;
  return 0;
}

}  // namespace detail

class PlainProducer {
 public:
  // `extra` properties are applied after the defaults (e.g. message.max.bytes).
  explicit PlainProducer(const std::string& bootstrap,
                         const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> props{
        {"bootstrap.servers", bootstrap}, {"linger.ms", "0"}, {"enable.idempotence", "false"}};
    for (const auto& [k, v] : extra) props[k] = v;
    rd_kafka_conf_t* conf = detail::MakeConf(props);
    rd_kafka_conf_set_dr_msg_cb(conf, &PlainProducer::OnDelivery);
    rk_ = detail::MakeClient(RD_KAFKA_PRODUCER, conf);
  }
  ~PlainProducer() {
    if (rk_) {
      rd_kafka_flush(rk_, 10000);
      rd_kafka_destroy(rk_);
    }
  }
  PlainProducer(const PlainProducer&) = delete;
  PlainProducer& operator=(const PlainProducer&) = delete;

  // Produces one message (partitioned by key) and waits for its delivery report.
  Delivery Send(const std::string& topic, const std::optional<std::string>& key,
                const std::string& value, int timeout_ms = 30000) {
    Delivery d;
    if (!rk_) {
      d.error = "no producer";
      return d;
    }
    bool done = false;
    Report report{&d, &done};
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    const int rc =
        rd_kafka_produce(rkt, kAnyPartition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(value.data()),
                         value.size(), key ? key->data() : nullptr, key ? key->size() : 0, &report);
    rd_kafka_topic_destroy(rkt);
    if (rc != 0) {
      d.error = rd_kafka_err2str(rd_kafka_last_error());
      return d;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done && std::chrono::steady_clock::now() < deadline) rd_kafka_poll(rk_, 50);
    if (!done) {
      // The report would write into this frame later: wait for it without a deadline.
      rd_kafka_flush(rk_, -1);
      if (d.error.empty() && !d.ok) d.error = "delivery timed out";
    }
    return d;
  }

 private:
  struct Report {
    Delivery* delivery;
    bool* done;
  };
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* r = static_cast<Report*>(m->_private);
    r->delivery->ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!r->delivery->ok) r->delivery->error = rd_kafka_err2str(m->err);
    r->delivery->partition = m->partition;
    r->delivery->offset = m->offset;
    *r->done = true;
  }
  rd_kafka_t* rk_ = nullptr;
};

// Reads every partition of one topic from the beginning, without a consumer group.
class PlainReader {
 public:
  PlainReader(const std::string& bootstrap, const std::string& topic) : topic_(topic) {
    std::map<std::string, std::string> props{{"bootstrap.servers", bootstrap},
                                             {"group.id", "locus-itest-reader"},
                                             {"enable.auto.commit", "false"},
                                             {"enable.partition.eof", "false"},
                                             {"fetch.wait.max.ms", "50"},
                                             {"fetch.max.bytes", "8388608"},
                                             {"receive.message.max.bytes", "16777216"}};
    rk_ = detail::MakeClient(RD_KAFKA_CONSUMER, detail::MakeConf(props));
    if (!rk_) return;
    const int32_t n = detail::PartitionCount(rk_, topic);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(n);
    for (int32_t p = 0; p < n; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = kOffsetBeginning;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) ADD_FAILURE() << "assign: " << rd_kafka_err2str(e);
  }
  ~PlainReader() {
    if (rk_) {
      rd_kafka_consumer_close(rk_);
      rd_kafka_destroy(rk_);
    }
  }
  PlainReader(const PlainReader&) = delete;
  PlainReader& operator=(const PlainReader&) = delete;

  // The next message, waiting up to timeout_ms; nullopt when none came.
  std::optional<KafkaMessage> Next(int timeout_ms) {
    if (!rk_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return std::nullopt;
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms);
    if (m == nullptr) return std::nullopt;
    std::optional<KafkaMessage> out;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      KafkaMessage k;
      k.topic = topic_;
      k.partition = m->partition;
      k.offset = m->offset;
      if (m->key) k.key = std::string(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) k.value.assign(static_cast<const char*>(m->payload), m->len);
      out = std::move(k);
    }
    rd_kafka_message_destroy(m);
    return out;
  }

 private:
  std::string topic_;
  rd_kafka_t* rk_ = nullptr;
};

// Messages of `topic` that consumer group `group` has not committed yet, summed over the
// partitions (committed offsets against the partitions' current ends); -1 when the cluster
// could not be asked.
// `rk` is a consumer handle made with the group's group.id.
inline int64_t GroupLag(rd_kafka_t* rk, const std::string& topic, int32_t partitions) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  }
  int64_t lag = rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
  for (int i = 0; lag >= 0 && i < list->cnt; ++i) {
    int64_t low = 0, high = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), list->elems[i].partition, &low, &high,
                                         5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      lag = -1;
    } else {
      lag += high - std::max(list->elems[i].offset, low);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return lag;
}

// A handle for asking about consumer group `group`'s committed offsets (it never joins).
class GroupProbe {
 public:
  GroupProbe(const std::string& bootstrap, const std::string& group, const std::string& topic)
      : topic_(topic) {
    std::map<std::string, std::string> props{
        {"bootstrap.servers", bootstrap}, {"group.id", group}, {"enable.auto.commit", "false"}};
    rk_ = detail::MakeClient(RD_KAFKA_CONSUMER, detail::MakeConf(props));
    if (rk_) partitions_ = detail::PartitionCount(rk_, topic);
  }
  ~GroupProbe() {
    if (rk_) rd_kafka_destroy(rk_);
  }
  GroupProbe(const GroupProbe&) = delete;
  GroupProbe& operator=(const GroupProbe&) = delete;

  // See GroupLag.
  int64_t Lag() { return rk_ ? GroupLag(rk_, topic_, partitions_) : -1; }

  // Messages written to the topic so far (its partitions' ends, summed); -1 when the cluster
  // could not be asked.
  int64_t Written() {
    if (!rk_) return -1;
    int64_t sum = 0;
    for (int32_t p = 0; p < partitions_; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), p, &low, &high, 5000) !=
          RD_KAFKA_RESP_ERR_NO_ERROR) {
        return -1;
      }
      sum += high;
    }
    return sum;
  }

  // True once the group has committed every partition up to its current end; false after
  // timeout_ms.
  bool AwaitCaughtUp(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Lag() == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::string topic_;
  rd_kafka_t* rk_ = nullptr;
  int32_t partitions_ = 0;
};

// True once consumer group `group` has committed, for every partition of `topic`, the
// partition's current end (the end is re-read on every look). False after timeout_ms.
inline bool GroupCaughtUp(const std::string& bootstrap, const std::string& group,
                          const std::string& topic, int timeout_ms) {
  GroupProbe probe(bootstrap, group, topic);
  return probe.AwaitCaughtUp(timeout_ms);
}

}  // namespace locus::itest
