#include "consumers/table_reader.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace locus::kafka {

Result<std::unique_ptr<TableReader>> TableReader::Create(Engine& engine, const Properties& props,
                                                         const std::string& topic, Handler handle) {
  std::unique_ptr<TableReader> r(new TableReader(topic, std::move(handle)));
  Properties p = props;
  // librdkafka wants a group id even for assign(); this one never joins or commits.
  p["group.id"] = topic + ".reader";
  p["enable.partition.eof"] = "true";
  p["enable.auto.commit"] = "false";
  p["auto.offset.reset"] = "earliest";
  // As the engine's consumer: an idle partition's fetch returns after 5 ms, not librdkafka's
  // 500 ms, so reading a table to its end (at start, on every rebalance) is not a wait per
  // partition and an update reaches the engine at once.
  p["fetch.wait.max.ms"] = "5";
  auto h = NewClient(Role::kConsumer, p);
  if (!h.ok()) return h.status();
  r->rk_ = std::move(*h);
  auto n = PartitionCount(r->rk_.get(), topic);
  if (!n.ok()) return n.status();
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(*n);
  for (int32_t part = 0; part < *n; ++part) {
    const std::optional<int64_t> stored = engine.StoredOffset(topic, part);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), part)->offset =
        stored.value_or(RD_KAFKA_OFFSET_BEGINNING);
    r->next_[part] = stored.value_or(0);
    r->eof_[part] = false;
    if (stored) {
      auto w = QueryWatermarks(r->rk_.get(), topic, part);
      if (w.ok() && *stored < w->low) {
        spdlog::error(
            "OFFSET LOST: {}/{} stored offset {} fell off the log (oldest is {}); "
            "{} messages were never read",
            topic, part, *stored, w->low, w->low - *stored);
        engine.CountRejected("offset_lost");
      }
    }
  }
  rd_kafka_resp_err_t e = rd_kafka_assign(r->rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error(std::string("assigning ") + topic + ": " + rd_kafka_err2str(e));
  }
  return r;
}

TableReader::~TableReader() {
  if (rk_) rd_kafka_consumer_close(rk_.get());
}

Result<bool> TableReader::ConsumeOne(int timeout_ms) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), timeout_ms);
  if (m == nullptr) return false;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    eof_[m->partition] = true;
  } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("{} consumer: {}", topic_, rd_kafka_message_errstr(m));
  } else {
    std::string_view key(static_cast<const char*>(m->key), m->key_len);
    std::optional<std::string_view> value;
    if (m->payload != nullptr)
      value = std::string_view(static_cast<const char*>(m->payload), m->len);
    Outcome o = handle_(m->partition, m->offset, key, value);
    if (!o.ok) {
      spdlog::warn("rejected at {}/{}@{}: {}", topic_, m->partition, m->offset, o.reason);
    }
    next_[m->partition] = m->offset + 1;
    eof_[m->partition] = false;
  }
  rd_kafka_message_destroy(m);
  return true;
}

Result<int> TableReader::PollAvailable(int max) {
  int n = 0;
  while (n < max) {
    auto got = ConsumeOne(0);
    if (!got.ok()) return got.status();
    if (!*got) break;
    ++n;
  }
  return n;
}

Status TableReader::CatchUp(int timeout_ms) {
  std::map<int32_t, int64_t> target;
  for (const auto& [part, next] : next_) {
    auto w = QueryWatermarks(rk_.get(), topic_, part);
    if (!w.ok()) return w.status();
    target[part] = w->high;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    bool done = true;
    for (const auto& [part, high] : target) done = done && next_[part] >= high;
    if (done) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Error("timed out reading " + topic_ + " to its end");
    }
    auto got = ConsumeOne(100);
    if (!got.ok()) return got.status();
  }
}

bool TableReader::at_end() const {
  for (const auto& [part, eof] : eof_) {
    if (!eof) return false;
  }
  return true;
}

}  // namespace locus::kafka
