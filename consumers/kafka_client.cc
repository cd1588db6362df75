#include "consumers/kafka_client.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

namespace locus::kafka {

void HandleDeleter::operator()(rd_kafka_s* rk) const {
  if (rk != nullptr) rd_kafka_destroy(rk);
}

Result<rd_kafka_conf_s*> NewConf(const Properties& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::Error("kafka property " + key + "=" + value + ": " + err);
    }
  }
  return conf;
}

Result<Handle> NewClient(Role role, const Properties& properties, rd_kafka_conf_s* conf) {
  if (conf == nullptr) {
    auto c = NewConf(properties);
    if (!c.ok()) return c.status();
    conf = *c;
  }
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(role == Role::kProducer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER,
                                conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::Error(std::string("creating kafka client: ") + err);
  }
  return Handle(rk);
}

Result<int32_t> PartitionCount(rd_kafka_s* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  rd_kafka_topic_destroy(t);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error("metadata of topic " + topic + ": " + rd_kafka_err2str(e));
  }
  int32_t n = 0;
  Status status;
  if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    n = md->topics[0].partition_cnt;
  } else {
    status = Status::Error("topic " + topic + " is not available: " +
                           rd_kafka_err2str(md->topic_cnt ? md->topics[0].err : e));
  }
  rd_kafka_metadata_destroy(md);
  if (!status.ok()) return status;
  if (n <= 0) return Status::Error("topic " + topic + " has no partitions");
  return n;
}

Result<int32_t> TopicPartitionCount(const Properties& properties, const std::string& topic) {
  auto h = NewClient(Role::kProducer, properties);
  if (!h.ok()) return h.status();
  return PartitionCount(h->get(), topic);
}

Result<Watermarks> QueryWatermarks(rd_kafka_s* rk, const std::string& topic, int32_t partition,
                                   int timeout_ms) {
  Watermarks w;
  rd_kafka_resp_err_t e =
      rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &w.low, &w.high, timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error("watermarks of " + topic + "/" + std::to_string(partition) + ": " +
                         rd_kafka_err2str(e));
  }
  return w;
}

struct Producer::Stats {
  std::atomic<int64_t> failures{0};
};

namespace {
void ServeDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  // The message's own callback, if it has one, travels as its opaque (Produce).
  std::unique_ptr<Producer::OnDelivery> callback(static_cast<Producer::OnDelivery*>(m->_private));
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    auto* failures = static_cast<std::atomic<int64_t>*>(opaque);
    if (failures->fetch_add(1) < 10) {
      spdlog::error("kafka delivery to {} failed: {}", rd_kafka_topic_name(m->rkt),
                    rd_kafka_err2str(m->err));
    }
  }
  if (callback) {
    (*callback)(m->err == RD_KAFKA_RESP_ERR_NO_ERROR
                    ? Status::Ok()
                    : Status::Error(std::string("delivery failed: ") + rd_kafka_err2str(m->err)));
  }
}
}  // namespace

Result<std::unique_ptr<Producer>> Producer::Create(const Properties& properties) {
  std::unique_ptr<Producer> p(new Producer());
  p->stats_ = std::make_unique<Stats>();
  auto conf = NewConf(properties);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(*conf, ServeDeliveryReport);
  rd_kafka_conf_set_opaque(*conf, &p->stats_->failures);
  auto h = NewClient(Role::kProducer, properties, *conf);
  if (!h.ok()) return h.status();
  p->rk_ = std::move(*h);
  return p;
}

Producer::~Producer() {
  if (!rk_) return;
  if (!Flush(10000).ok()) {
    // Hand what is left to its delivery callbacks as failed, rather than dropping them.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_.get(), 0);
  }
}

Status Producer::Produce(const std::string& topic, std::string_view key,
                         std::optional<std::string_view> value, int32_t partition,
                         OnDelivery on_delivery) {
  std::unique_ptr<OnDelivery> callback;
  if (on_delivery) callback = std::make_unique<OnDelivery>(std::move(on_delivery));
  for (int attempt = 0;; ++attempt) {
    rd_kafka_vu_t vu[6];
    vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    vu[0].u.cstr = topic.c_str();
    vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[1].u.i32 = partition;
    vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vu[2].u.i = RD_KAFKA_MSG_F_COPY;
    vu[3].vtype = RD_KAFKA_VTYPE_KEY;
    vu[3].u.mem.ptr = const_cast<char*>(key.data());
    vu[3].u.mem.size = key.size();
    vu[4].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[4].u.mem.ptr = value ? const_cast<char*>(value->data()) : nullptr;
    vu[4].u.mem.size = value ? value->size() : 0;
    vu[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[5].u.ptr = callback.get();
    rd_kafka_error_t* error = rd_kafka_produceva(rk_.get(), vu, 6);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (error != nullptr) {
      e = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
    }
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)callback.release();  // owned by the message now; OnDelivery frees it
      return Status::Ok();
    }
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < 6000) {
      rd_kafka_poll(rk_.get(), 10);
      continue;
    }
    return Status::Error("producing to " + topic + ": " + rd_kafka_err2str(e));
  }
}

void Producer::Poll(int timeout_ms) { rd_kafka_poll(rk_.get(), timeout_ms); }

Status Producer::Flush(int timeout_ms) {
  rd_kafka_resp_err_t e = rd_kafka_flush(rk_.get(), timeout_ms);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Error(std::string("flushing producer: ") + rd_kafka_err2str(e) + " (" +
                         std::to_string(rd_kafka_outq_len(rk_.get())) + " messages left)");
  }
  return Status::Ok();
}

namespace {

// Takes ownership of `error` (nullptr: success).
Status TxnStatus(const char* what, rd_kafka_error_t* error, bool* retry = nullptr) {
  if (error == nullptr) return Status::Ok();
  const std::string message = std::string(what) + ": " + rd_kafka_error_string(error) +
                              (rd_kafka_error_is_fatal(error) ? " (fatal)" : "");
  if (retry != nullptr) *retry = rd_kafka_error_is_retriable(error) != 0;
  rd_kafka_error_destroy(error);
  return Status::Error(message);
}

}  // namespace

Status Producer::InitTransactions(int timeout_ms) {
  return TxnStatus("initialising transactions", rd_kafka_init_transactions(rk_.get(), timeout_ms));
}

Status Producer::BeginTransaction() {
  return TxnStatus("beginning a transaction", rd_kafka_begin_transaction(rk_.get()));
}

Status Producer::CommitTransaction(int timeout_ms, bool& retry) {
  retry = false;
  rd_kafka_error_t* error = rd_kafka_commit_transaction(rk_.get(), timeout_ms);
  if (error != nullptr && rd_kafka_error_txn_requires_abort(error)) {
    Status s = TxnStatus("committing a transaction", error);
    Status aborted = TxnStatus("aborting it", rd_kafka_abort_transaction(rk_.get(), timeout_ms));
    return Status::Error(s.message() + (aborted.ok() ? " (aborted)" : "; " + aborted.message()));
  }
  return TxnStatus("committing a transaction", error, &retry);
}

int64_t Producer::delivery_failures() const { return stats_->failures.load(); }

int64_t Producer::queued() const { return rd_kafka_outq_len(rk_.get()); }

}  // namespace locus::kafka
