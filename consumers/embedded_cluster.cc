#include "consumers/embedded_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace locus::kafka {

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start(
    int brokers, const std::vector<std::string>& topics, int partitions) {
  std::unique_ptr<EmbeddedCluster> c(new EmbeddedCluster());
  // A producer handle with no brokers of its own hosts the mock cluster's threads.
  auto host = NewClient(Role::kProducer, {{"log_level", "3"}});
  if (!host.ok()) return host.status();
  c->host_ = std::move(*host);
  c->cluster_ = rd_kafka_mock_cluster_new(c->host_.get(), brokers);
  if (c->cluster_ == nullptr) return Status::Error("could not start the embedded Kafka cluster");
  c->bootstrap_ = rd_kafka_mock_cluster_bootstraps(c->cluster_);
  for (const std::string& topic : topics) {
    rd_kafka_resp_err_t e =
        rd_kafka_mock_topic_create(c->cluster_, topic.c_str(), partitions, std::min(brokers, 3));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Error("creating embedded topic " + topic + ": " + rd_kafka_err2str(e));
    }
  }
  return c;
}

EmbeddedCluster::~EmbeddedCluster() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

}  // namespace locus::kafka
