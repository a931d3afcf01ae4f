// config/build.h: what compile() makes of a loaded config, the objects make_sources() and
// make_sinks() build, and the text describe() prints for `logtally check`.
#include "config/build.h"

#include <gtest/gtest.h>

#include "ingest/file/file_source.h"
#include "ingest/kafka/consumer.h"
#include "ingest/stdin/stdin_source.h"
#include "sinks/exporter/prometheus_exporter.h"
#include "sinks/pushgateway/pushgateway.h"
#include "sinks/remote_write/client.h"
#include "sinks/statsd/statsd.h"

namespace logtally::config {
namespace {

Config load(const std::string& text) {
  auto cfg = load_config_text(text, "build.yaml");
  if (!cfg.ok()) {
    ADD_FAILURE() << cfg.error().message;
    return Config{};
  }
  return *cfg;
}

constexpr const char* kTwoPipelines = R"(sources:
  app: { type: stdin }
  web: { type: file, path: /var/log/web.log }
pipelines:
  http:
    inputs: [web]
    parser: json
    metrics:
      - name: requests_total
        type: counter
        max_series: 50
        expire_after: 90s
        labels: { method: method, status: status }
      - name: request_seconds
        type: histogram
        value: ms
        scale: 0.001
        buckets: [0.1, 1]
        labels: { method: method }
  apps:
    inputs: [app, web]
    parser: logfmt
    metrics:
      - { name: depth, type: gauge, mode: max, value: queue.depth }
)";

TEST(BuildTest, SpecsFollowThePipelinesInOrder) {
  const Config cfg = load(kTwoPipelines);
  const Compiled c = compile(cfg);
  ASSERT_EQ(c.specs.size(), 3u);
  EXPECT_EQ(c.specs[0].name, "requests_total");
  EXPECT_EQ(c.specs[0].type, core::MetricType::kCounter);
  EXPECT_EQ(c.specs[0].label_names, (std::vector<std::string>{"method", "status"}));
  EXPECT_EQ(c.specs[0].max_series, 50u);
  EXPECT_EQ(c.specs[0].expire_after_ms, 90000);
  EXPECT_EQ(c.specs[1].name, "request_seconds");
  EXPECT_EQ(c.specs[1].type, core::MetricType::kHistogram);
  EXPECT_EQ(c.specs[1].buckets, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(c.specs[1].max_series, 10000u);  // The top-level default.
  EXPECT_EQ(c.specs[1].expire_after_ms, 0);
  EXPECT_EQ(c.specs[2].name, "depth");
  EXPECT_EQ(c.specs[2].type, core::MetricType::kGauge);
  EXPECT_EQ(c.specs[2].mode, core::GaugeMode::kMax);
  EXPECT_TRUE(c.specs[2].label_names.empty());
  EXPECT_EQ(c.source_names, (std::vector<std::string>{"app", "web"}));
  EXPECT_EQ(c.pipeline_names, (std::vector<std::string>{"http", "apps"}));
}

TEST(BuildTest, PipelinesGetInputsParsersRulesAndOneSlotPerField) {
  const Config cfg = load(kTwoPipelines);
  const Compiled c = compile(cfg);
  ASSERT_EQ(c.pipelines.size(), 2u);
  const transforms::Pipeline& http = c.pipelines[0];
  EXPECT_EQ(http.name, "http");
  EXPECT_EQ(http.index, 0u);
  EXPECT_EQ(http.parser->type_name(), "json");
  EXPECT_EQ(http.inputs, (std::vector<uint32_t>{1}));
  EXPECT_EQ(http.filter, nullptr);
  // `method` is used by both metrics: one slot. Slots are numbered in first-use order.
  ASSERT_EQ(http.plan.slot_count(), 3u);
  EXPECT_EQ(http.plan.path(0).to_string(), "method");
  EXPECT_EQ(http.plan.path(1).to_string(), "status");
  EXPECT_EQ(http.plan.path(2).to_string(), "ms");
  ASSERT_EQ(http.rules.size(), 2u);
  EXPECT_EQ(http.rules[0].metric, 0u);
  EXPECT_EQ(http.rules[0].value_slot, -1);  // 1 per record
  ASSERT_EQ(http.rules[0].labels.size(), 2u);
  EXPECT_EQ(http.rules[0].labels[1].slots, (std::vector<uint32_t>{1}));
  EXPECT_EQ(http.rules[1].metric, 1u);
  EXPECT_EQ(http.rules[1].value_slot, 2);
  EXPECT_EQ(http.rules[1].scale, 0.001);
  EXPECT_EQ(http.rules[1].labels.at(0).slots, (std::vector<uint32_t>{0}));

  const transforms::Pipeline& apps = c.pipelines[1];
  EXPECT_EQ(apps.index, 1u);
  EXPECT_EQ(apps.parser->type_name(), "logfmt");
  EXPECT_EQ(apps.inputs, (std::vector<uint32_t>{0, 1}));
  ASSERT_EQ(apps.plan.slot_count(), 1u);
  EXPECT_EQ(apps.plan.path(0).to_string(), "queue.depth");
  ASSERT_EQ(apps.rules.size(), 1u);
  EXPECT_EQ(apps.rules[0].metric, 2u);
  EXPECT_EQ(apps.rules[0].value_slot, 0);
}

TEST(BuildTest, SharedEntriesFeedOneMetric) {
  const Config cfg = load(R"(sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: other_total, type: counter }
      - { name: io_total, type: counter, shared: true, value: sent, labels: { op: { const: sent } } }
  q:
    inputs: [in]
    parser: json
    metrics:
      - { name: io_total, type: counter, shared: true, value: recv, labels: { op: { const: recv } } }
)");
  const Compiled c = compile(cfg);
  ASSERT_EQ(c.specs.size(), 2u);
  EXPECT_EQ(c.specs[1].name, "io_total");
  EXPECT_EQ(c.specs[1].label_names, (std::vector<std::string>{"op"}));
  ASSERT_EQ(c.pipelines.size(), 2u);
  ASSERT_EQ(c.pipelines[0].rules.size(), 2u);
  ASSERT_EQ(c.pipelines[1].rules.size(), 1u);
  EXPECT_EQ(c.pipelines[0].rules[1].metric, 1u);
  EXPECT_EQ(c.pipelines[1].rules[0].metric, 1u);
  EXPECT_EQ(c.pipelines[1].rules[0].labels.at(0).default_value, "recv");
  // Each pipeline plans its own value field.
  EXPECT_EQ(c.pipelines[0].plan.path(0).to_string(), "sent");
  EXPECT_EQ(c.pipelines[1].plan.path(0).to_string(), "recv");
}

constexpr const char* kHead = R"(sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: h, type: histogram, value: v }
)";

TEST(BuildTest, NativeHistogramOptionsComeFromTheRemoteWriteSinks) {
  EXPECT_FALSE(compile(load(std::string(kHead) + "sinks:\n  rw: { type: prometheus_remote_write, "
                                                 "url: http://a/w }\n"))
                   .native.enabled);
  // With two sinks asking: the finest schema, the smallest zero threshold, the most buckets. A
  // sink that does not ask changes nothing.
  const Compiled c = compile(load(std::string(kHead) + R"(sinks:
  a: { type: prometheus_remote_write, url: http://a/w, native_histograms: true, native_schema: 1,
       native_zero_threshold: 0.01, native_max_buckets: 300 }
  b: { type: prometheus_remote_write, url: http://b/w, native_histograms: true, native_schema: 4,
       native_zero_threshold: 0.5, native_max_buckets: 40 }
  c: { type: prometheus_remote_write, url: http://c/w, native_schema: 8 }
)"));
  EXPECT_TRUE(c.native.enabled);
  EXPECT_EQ(c.native.schema, 4);
  EXPECT_EQ(c.native.zero_threshold, 0.01);
  EXPECT_EQ(c.native.max_buckets, 300u);
}

TEST(BuildTest, SourcesAndSinksOfEachType) {
  const Config cfg = load(R"(sources:
  a: { type: stdin }
  b: { type: file, path: /var/log/b.log }
  c: { type: kafka, brokers: "k:9092", topics: [t], group: g }
pipelines:
  p:
    inputs: [a, b, c]
    parser: json
    metrics:
      - { name: n_total, type: counter }
sinks:
  prom: { type: prometheus_exporter, listen: "127.0.0.1:9898" }
  pg: { type: pushgateway, url: "http://gw:9091", job: j }
  sd: { type: statsd, address: "127.0.0.1:8125" }
  rw: { type: prometheus_remote_write, url: http://r/w }
)");
  const auto sources = make_sources(cfg, ingest::SourceMode{});
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_NE(dynamic_cast<ingest::StdinSource*>(sources[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<ingest::FileSource*>(sources[1].get()), nullptr);
  EXPECT_NE(dynamic_cast<ingest::KafkaSource*>(sources[2].get()), nullptr);
  EXPECT_FALSE(sources[0]->checkpointable());
  EXPECT_TRUE(sources[1]->checkpointable());

  const Compiled c = compile(cfg);
  core::MetricStore store(c.specs, c.source_names, c.pipeline_names, 1);
  const auto sinks = make_sinks(cfg, store);
  ASSERT_EQ(sinks.size(), 4u);
  EXPECT_NE(dynamic_cast<sinks::PrometheusExporter*>(sinks[0].get()), nullptr);
  EXPECT_NE(dynamic_cast<sinks::Pushgateway*>(sinks[1].get()), nullptr);
  EXPECT_NE(dynamic_cast<sinks::StatsdSink*>(sinks[2].get()), nullptr);
  EXPECT_NE(dynamic_cast<sinks::RemoteWriteSink*>(sinks[3].get()), nullptr);
}

TEST(BuildTest, DescribeListsSourcesPipelinesRulesAndSinks) {
  const Config cfg = load(R"(sources:
  app: { type: stdin }
  web: { type: file, path: /var/log/web.log, start_at: end }
pipelines:
  http:
    inputs: [web, app]
    parser: json
    filter: 'status >= 500'
    metrics:
      - name: errors_total
        type: counter
        max_series: 5
        labels: { status: status, team: { const: core } }
      - { name: depth, type: gauge, mode: max, value: queue.depth, labels: { level: { field: level, lowercase: true } } }
sinks:
  prom: { type: prometheus_exporter, listen: "0.0.0.0:9898" }
)");
  EXPECT_EQ(describe(cfg, compile(cfg)),
            "config build.yaml: OK\n"
            "workers: " +
                std::to_string(cfg.workers) +
                "\n"
                "sources:\n"
                "  app: stdin, max_record_bytes 1048576\n"
                "  web: file /var/log/web.log (start_at end), max_record_bytes 1048576\n"
                "pipelines:\n"
                "  http: inputs [web, app], parser json\n"
                "    filter: status >= 500\n"
                "    fields read: status queue.depth level\n"
                "    errors_total counter value 1 per record labels {status=status, team=\"core\"}"
                " max_series 5\n"
                "    depth gauge (mode max) value queue.depth labels {level=level lowercased}\n"
                "sinks:\n"
                "  prom: prometheus_exporter http://0.0.0.0:9898/metrics\n");
}

}  // namespace
}  // namespace logtally::config
