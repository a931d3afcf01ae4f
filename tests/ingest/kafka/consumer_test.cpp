// KafkaSource against librdkafka's mock cluster, in process: backpressure pauses the partitions
// (the consumer is not blocked) and loses nothing; batches carry one partition's fields.
#include "ingest/kafka/consumer.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/batch_channel.h"
#include "core/self_metrics.h"

namespace logtally::ingest {
namespace {

double self_metric(const core::SelfMetrics& sm, const std::string& name) {
  double v = 0;
  for (const auto& f : sm.collect()) {
    if (f.name != name) continue;
    for (const auto& s : f.series) v += s.value;
  }
  return v;
}

struct MockCluster {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstraps;

  MockCluster(const char* topic, int partitions) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    cluster = rd_kafka_mock_cluster_new(rk, 1);
    rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  }

  void produce(const char* topic, int partitions, int n) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    for (int i = 0; i < n; ++i) {
      const std::string v = std::to_string(i);
      ASSERT_EQ(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                RD_KAFKA_RESP_ERR_NO_ERROR);
      rd_kafka_poll(p, 0);
    }
    ASSERT_EQ(rd_kafka_flush(p, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
  }
};

TEST(KafkaSourceTest, BackpressurePausesAndLosesNothing) {
  constexpr int kMessages = 4000;
  MockCluster mock("t", 2);
  mock.produce("t", 2, kMessages);

  core::SelfMetrics sm;
  KafkaSourceConfig cfg;
  cfg.brokers = mock.bootstraps;
  cfg.topics = {"t"};
  cfg.group = "bp";
  cfg.librdkafka = {{"session.timeout.ms", "6000"}, {"fetch.wait.max.ms", "20"}};
  KafkaSource source(SourceCommon{"k", 7, 256, EnvelopeFormat::kNone}, cfg,
                     SourceMode{/*once=*/true, false}, &sm);
  ASSERT_TRUE(source.prepare().ok());

  // Two small batches and nobody popping: the source runs out of batches quickly.
  core::BatchChannel channel(2, 2048);
  std::atomic<bool> stop{false};
  std::thread runner([&] { source.run(channel, stop); });
  for (int i = 0; i < 300 && self_metric(sm, "logtally_kafka_paused_total") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(self_metric(sm, "logtally_kafka_paused_total"), 1);
  // While paused, the source still serves the consumer; it has not consumed everything.
  EXPECT_LT(self_metric(sm, "logtally_kafka_messages_total"), kMessages);

  std::thread closer([&] {
    runner.join();
    channel.close();
  });
  uint64_t records = 0;
  uint64_t sum = 0;
  while (core::BatchPtr b = channel.pop()) {
    EXPECT_EQ(b->source, 7u);
    ASSERT_TRUE(b->fields);
    const int partition = b->fields->find_value("partition");
    ASSERT_GE(partition, 0);
    const int expected_parity = std::stoi(b->fields->values[partition].second);
    for (size_t i = 0; i < b->record_count(); ++i) {
      const int n = std::stoi(std::string(b->record(i)));
      EXPECT_EQ(n % 2, expected_parity);  // One partition per batch.
      sum += static_cast<uint64_t>(n);
      ++records;
    }
    channel.recycle(std::move(b));
  }
  closer.join();
  EXPECT_EQ(records, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(sum, static_cast<uint64_t>(kMessages) * (kMessages - 1) / 2);
  EXPECT_EQ(self_metric(sm, "logtally_kafka_messages_total"), kMessages);
}

}  // namespace
}  // namespace logtally::ingest
