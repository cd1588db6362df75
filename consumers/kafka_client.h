// Thin RAII layer over librdkafka's C API: configuration, producers, metadata and watermark
// queries. Everything else in consumers/ builds on it; nothing outside consumers/ includes
// librdkafka.
#pragma once

#include "src/core/status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_conf_s;

namespace locus::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_s* rk) const;
};
using Handle = std::unique_ptr<rd_kafka_s, HandleDeleter>;

// librdkafka properties; applied in order, later keys win.
using Properties = std::map<std::string, std::string>;

enum class Role { kProducer, kConsumer };
// Creates a client handle; the error names the property librdkafka rejected.
Result<Handle> NewClient(Role role, const Properties& properties, rd_kafka_conf_s* conf = nullptr);
// A configuration object with `properties` set (caller owns it until it is passed to
// NewClient).
Result<rd_kafka_conf_s*> NewConf(const Properties& properties);

// Partition count of `topic`, from cluster metadata.
Result<int32_t> PartitionCount(rd_kafka_s* rk, const std::string& topic, int timeout_ms = 10000);
// The same through a short-lived client of `properties`.
Result<int32_t> TopicPartitionCount(const Properties& properties, const std::string& topic);

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};
Result<Watermarks> QueryWatermarks(rd_kafka_s* rk, const std::string& topic, int32_t partition,
                                   int timeout_ms = 5000);

// An asynchronous producer. Produce() queues (retrying while the local queue is full);
// delivery failures are counted and logged from the delivery callback.
// Thread-safe (librdkafka producers are).
class Producer {
 public:
  // The final outcome of one message: ok once the cluster acknowledged it, an error once
  // librdkafka gave up (message.timeout.ms) or the producer was destroyed with it queued.
  // Runs on whichever thread serves delivery reports (Poll, Flush, a Produce waiting on a
  // full queue, the destructor); must be quick and must not throw.
  using OnDelivery = std::function<void(const Status&)>;

  static Result<std::unique_ptr<Producer>> Create(const Properties& properties);
  // Waits up to 10 s for queued messages; what is left is purged (its OnDelivery gets an error).
  ~Producer();

  // partition -1: by key (librdkafka's default partitioner, murmur2 like the Java client).
  // `on_delivery` is called exactly once if Produce returns ok, never if it returns an error.
  Status Produce(const std::string& topic, std::string_view key,
                 std::optional<std::string_view> value, int32_t partition = -1,
                 OnDelivery on_delivery = {});
  // Serves delivery reports; call regularly.
  void Poll(int timeout_ms = 0);
  // Waits until everything queued is delivered (or the timeout passes).
  Status Flush(int timeout_ms);
  // Transactions, for a producer made with transactional.id: InitTransactions once, then
  // BeginTransaction and CommitTransaction around records that must become visible together
  // (read_committed consumers, librdkafka's default, see none of an aborted one).
  Status InitTransactions(int timeout_ms);
  Status BeginTransaction();
  // Flushes and commits. `retry` is set when the commit may be called again (it timed out);
  // on any other error the transaction is aborted (when it can be) and its records will never
  // be seen: the caller treats them as not sent.
  Status CommitTransaction(int timeout_ms, bool& retry);
  int64_t delivery_failures() const;
  // Messages queued or in flight (not delivered or failed yet).
  int64_t queued() const;
  rd_kafka_s* raw() const { return rk_.get(); }

 private:
  Producer() = default;
  Handle rk_;
  struct Stats;
  std::unique_ptr<Stats> stats_;
};

}  // namespace locus::kafka
