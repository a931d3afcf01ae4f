#include "config/config.h"

#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "ingest/file/config.h"
#include "ingest/kafka/config.h"
#include "ingest/multiline.h"
#include "sinks/exporter/config.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kIssueExample = R"(sources:
  app: { type: stdin }
  access: { type: file, path: /var/log/app/access.log, start_at: beginning }
pipelines:
  http:
    inputs: [app, access]
    parser: { type: json }
    metrics:
      - name: http_requests_total
        type: counter
        help: Requests by method and status.
        labels: { method: method, status: status, service: kubernetes.labels.app }
      - name: http_response_bytes_total
        type: counter
        value: bytes
      - name: http_request_duration_seconds
        type: histogram
        value: duration_ms
        scale: 0.001
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        labels: { route: route }
      - name: queue_depth
        type: gauge
        value: depth
        mode: set
sinks:
  prom: { type: prometheus_exporter, listen: "0.0.0.0:9898", path: /metrics }
workers: 2
)";

TEST(ConfigTest, LoadsTheDocumentedExample) {
  auto cfg = load_config_text(kIssueExample, "example.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->workers, 2u);
  ASSERT_EQ(cfg->sources.size(), 2u);
  const auto* access = dynamic_cast<const ingest::FileSourceConfig*>(cfg->sources[1].spec.get());
  ASSERT_NE(access, nullptr);
  EXPECT_EQ(access->path, "/var/log/app/access.log");
  EXPECT_EQ(cfg->sources[1].max_record_bytes, 1u << 20);
  ASSERT_EQ(cfg->pipelines.size(), 1u);
  const PipelineConfig& p = cfg->pipelines[0];
  EXPECT_EQ(p.inputs, (std::vector<std::string>{"app", "access"}));
  ASSERT_EQ(p.metrics.size(), 4u);
  EXPECT_EQ(p.metrics[0].labels.size(), 3u);
  EXPECT_EQ(p.metrics[0].labels[2].name, "service");
  EXPECT_EQ(p.metrics[0].labels[2].fields[0].to_string(), "kubernetes.labels.app");
  EXPECT_EQ(p.metrics[1].help, "Counted by logtally pipeline \"http\".");
  EXPECT_EQ(p.metrics[2].scale, 0.001);
  EXPECT_EQ(p.metrics[2].buckets.size(), 11u);
  EXPECT_EQ(p.metrics[3].type, core::MetricType::kGauge);
  ASSERT_EQ(cfg->sinks.size(), 1u);
  EXPECT_EQ(dynamic_cast<const sinks::PrometheusExporterConfig&>(*cfg->sinks[0].spec).listen,
            "0.0.0.0:9898");

  const Compiled compiled = compile(*cfg);
  // method, status, kubernetes.labels.app, bytes, duration_ms, route, depth
  EXPECT_EQ(compiled.pipelines[0].plan.slot_count(), 7u);
  EXPECT_EQ(compiled.pipelines[0].inputs, (std::vector<uint32_t>{0, 1}));
  EXPECT_THAT(describe(*cfg, compiled),
              HasSubstr("http_request_duration_seconds histogram value duration_ms * 0.001"));
}

TEST(ConfigTest, TheEmbeddedDefaultIsValid) {
  auto cfg = load_config_text(default_config_text(), "<default>");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const LabelConfig& level = cfg->pipelines[0].metrics[0].labels[0];
  EXPECT_EQ(level.fields.size(), 3u);
  EXPECT_TRUE(level.lowercase);
  EXPECT_EQ(level.default_value, "unknown");
  EXPECT_EQ(dynamic_cast<const sinks::PrometheusExporterConfig&>(*cfg->sinks[0].spec).listen,
            "0.0.0.0:9898");
}

TEST(ConfigTest, ReportsEveryErrorWithLineAndColumn) {
  const char* text = R"(sources:
  app: { type: stdin, colour: blue }
pipelines:
  p:
    inputs: [app, nope]
    parser: { type: xml }
    metrics:
      - name: 9bad
        type: counter
      - name: h
        type: histogram
        value: d
        buckets: [1, 0.5]
        labels: { le: x, "__x": y }
      - name: g
        type: gauge
      - name: c
        type: countr
        mode: max
workers: 0
)";
  auto cfg = load_config_text(text, "bad.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("bad.yaml:2:23: source 'app': unknown key 'colour'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:5:19: pipeline 'p' inputs: no source named 'nope'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:6:21: pipeline 'p' parser: unknown parser type 'xml'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:8:15: metric '9bad': invalid metric name"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:13:22: metric 'h' buckets: expected strictly increasing"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:14:19: metric 'h' label 'le': 'le' is reserved"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:14:26: metric 'h' label '__x': invalid label name"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:15:9: metric 'g': a gauge needs a 'value' field"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:18:15: metric 'c': unknown type 'countr'"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:20:10: workers: expected an integer from 1 to 256"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n') + 1, 10) << m;
}

// checkpoint.serve and the exporter's enable_reload (issue 12): values, defaults, errors.
TEST(ConfigTest, CheckpointServeAndEnableReload) {
  const std::string base =
      "sources: { in: { type: stdin } }\n"
      "pipelines: { p: { inputs: [in], parser: json, metrics: [{ name: n_total, type: counter "
      "}] } }\n";
  auto plain = load_config_text(base +
                                    "checkpoint: { dir: /tmp/x }\n"
                                    "sinks: { prom: { type: prometheus_exporter } }\n",
                                "a.yaml");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->checkpoint.serve_new_checkpoint);
  const auto* exporter =
      dynamic_cast<const sinks::PrometheusExporterConfig*>(plain->sinks.at(0).spec.get());
  ASSERT_NE(exporter, nullptr);
  EXPECT_FALSE(exporter->enable_reload);

  auto set =
      load_config_text(base +
                           "checkpoint: { dir: /tmp/x, serve: new_checkpoint }\n"
                           "sinks: { prom: { type: prometheus_exporter, enable_reload: true } }\n",
                       "b.yaml");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_TRUE(set->checkpoint.serve_new_checkpoint);
  EXPECT_TRUE(dynamic_cast<const sinks::PrometheusExporterConfig*>(set->sinks.at(0).spec.get())
                  ->enable_reload);

  auto bad = load_config_text(base + "checkpoint: { dir: /tmp/x, serve: sometimes }\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message,
              HasSubstr("c.yaml:3:35: checkpoint serve: must be last_checkpoint or "
                        "new_checkpoint, not \"sometimes\""));
}

TEST(ConfigTest, YamlSyntaxErrorsHaveAPosition) {
  auto cfg = load_config_text("sources:\n  a: { type: stdin\n", "syntax.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message, HasSubstr("syntax.yaml:"));
  EXPECT_THAT(cfg.error().message, HasSubstr("YAML syntax error"));
}

TEST(ConfigTest, DuplicateNamesAndMissingRequiredKeys) {
  const char* text = R"(sources:
  a: { type: stdin }
  b: { type: stdin }
  f: { type: file }
pipelines:
  p:
    inputs: a
    metrics:
      - { name: x, type: counter }
      - { name: x, type: counter }
      - { name: logtally_mine, type: counter }
)";
  auto cfg = load_config_text(text, "d.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("d.yaml:3:6: source 'b': only one stdin source is allowed"));
  EXPECT_THAT(
      m, HasSubstr(
             "d.yaml:4:6: source 'f': expected 'path' (one file) or 'include' (a list of globs)"));
  EXPECT_THAT(m, HasSubstr("d.yaml:7:5: pipeline 'p': missing required key 'parser'"));
  EXPECT_THAT(m, HasSubstr("d.yaml:10:17: metric 'x': already defined at line 9"));
  EXPECT_THAT(m, HasSubstr("d.yaml:11:17: metric 'logtally_mine': names starting with logtally_"));
}

TEST(ConfigTest, SubstitutesEnvironmentVariables) {
  ::setenv("LOGTALLY_TEST_PATH", "/tmp/x.log", 1);
  ::unsetenv("LOGTALLY_TEST_UNSET");
  const char* text = R"(sources:
  f: { type: file, path: "${LOGTALLY_TEST_PATH}" }
pipelines:
  p:
    inputs: [f]
    parser: json
    metrics:
      - name: m
        type: counter
        labels: { env: { const: "${LOGTALLY_TEST_UNSET:-dev}-$${literal}" } }
sinks:
  s: { type: prometheus_exporter, listen: "127.0.0.1:${LOGTALLY_TEST_UNSET:-9999}" }
workers: ${LOGTALLY_TEST_UNSET:-3}
)";
  auto cfg = load_config_text(text, "env.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const auto* file = dynamic_cast<const ingest::FileSourceConfig*>(cfg->sources[0].spec.get());
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->path, "/tmp/x.log");
  EXPECT_EQ(cfg->pipelines[0].metrics[0].labels[0].default_value, "dev-${literal}");
  EXPECT_EQ(dynamic_cast<const sinks::PrometheusExporterConfig&>(*cfg->sinks[0].spec).listen,
            "127.0.0.1:9999");
  EXPECT_EQ(cfg->workers, 3u);

  auto unset = load_config_text("workers: ${LOGTALLY_TEST_UNSET}\n", "u.yaml");
  ASSERT_FALSE(unset.ok());
  EXPECT_THAT(unset.error().message,
              HasSubstr("u.yaml:1:10: environment variable LOGTALLY_TEST_UNSET is not set"));
}

TEST(ConfigTest, LabelForms) {
  const char* text = R"(sources: { s: { type: stdin } }
pipelines:
  p:
    inputs: [s]
    parser: { type: json }
    metrics:
      - name: m
        type: counter
        labels:
          a: x.y
          b: { field: [one, two], default: none, lowercase: true }
          c: { const: k }
          d: { field: z, const: k }
          e: { lowercase: maybe, field: q }
)";
  auto cfg = load_config_text(text, "l.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("l.yaml:13:14: metric 'm' label 'd': expected exactly one of"));
  EXPECT_THAT(m, HasSubstr("l.yaml:14:27: metric 'm' label 'e' lowercase: expected true or false"));
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 1) << m;
}

TEST(ConfigTest, MissingFileIsReported) {
  auto cfg = load_config_file("/nonexistent/logtally.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message, HasSubstr("/nonexistent/logtally.yaml"));
}

}  // namespace
}  // namespace logtally::config

namespace logtally::config {
namespace {

TEST(KafkaConfigTest, LoadsKafkaSourcesAndEnvelopeFormats) {
  const char* text = R"(sources:
  k:
    type: kafka
    brokers: "127.0.0.1:9092"
    topics: [a, "^b-.*"]
    group: g
    format: docker
    librdkafka: { fetch.max.bytes: "1048576", security.protocol: plaintext }
  s: { type: stdin, format: cri }
pipelines:
  p: { inputs: [k, s], parser: json, metrics: [{ name: n_total, type: counter }] }
)";
  auto cfg = load_config_text(text, "k.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->sources.size(), 2u);
  const SourceConfig& k = cfg->sources[0];
  EXPECT_EQ(k.type, "kafka");
  const auto* kc = dynamic_cast<const ingest::KafkaSourceConfig*>(k.spec.get());
  ASSERT_NE(kc, nullptr);
  EXPECT_EQ(kc->brokers, "127.0.0.1:9092");
  EXPECT_EQ(kc->topics, (std::vector<std::string>{"a", "^b-.*"}));
  EXPECT_EQ(kc->group, "g");
  EXPECT_EQ(k.format, ingest::EnvelopeFormat::kDocker);
  ASSERT_EQ(kc->librdkafka.size(), 2u);
  EXPECT_EQ(kc->librdkafka[0].first, "fetch.max.bytes");
  EXPECT_EQ(kc->librdkafka[0].second, "1048576");
  EXPECT_EQ(cfg->sources[1].format, ingest::EnvelopeFormat::kCri);
}

TEST(KafkaConfigTest, ReportsEveryKafkaErrorAtItsPosition) {
  const char* text = R"(sources:
  k:
    type: kafka
    topics: ["^a(("]
    group: ""
    format: gelf
    librdkafka:
      fetch.max.bytes: lots
      no.such.property: x
      group.id: other
pipelines:
  p: { inputs: [k], parser: json, metrics: [{ name: n_total, type: counter }] }
)";
  auto cfg = load_config_text(text, "k.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("k.yaml:3:5: source 'k': missing required key 'brokers'"));
  EXPECT_THAT(m, HasSubstr("k.yaml:4:14: source 'k' topics: invalid regular expression '^a(('"));
  EXPECT_THAT(m, HasSubstr("k.yaml:5:12: source 'k' group: must not be empty"));
  EXPECT_THAT(m, HasSubstr("k.yaml:6:13: source 'k' format: expected none, cri or docker"));
  EXPECT_THAT(m, HasSubstr("k.yaml:8:7: source 'k' librdkafka: 'fetch.max.bytes': "));
  EXPECT_THAT(m, HasSubstr("k.yaml:9:7: source 'k' librdkafka: 'no.such.property': "));
  EXPECT_THAT(m, HasSubstr("k.yaml:10:7: source 'k' librdkafka: 'group.id' is set by logtally"));
}

TEST(MultilineSourceConfigTest, FileAndStdinTakeItKafkaRefusesIt) {
  const char* ok = R"(sources:
  f:
    type: file
    path: /var/log/app.log
    max_record_bytes: 4096
    multiline: { start: '^\d{4}-', max_bytes: 2048 }
  s: { type: stdin, format: cri, multiline: { continue: '^\s', max_lines: 20, timeout: 250ms } }
pipelines:
  p: { inputs: [f, s], parser: json, metrics: [{ name: n_total, type: counter }] }
)";
  auto cfg = load_config_text(ok, "m.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_TRUE(cfg->sources[0].multiline);
  EXPECT_EQ(cfg->sources[0].multiline->max_bytes, 2048u);
  EXPECT_EQ(cfg->sources[0].multiline->describe(cfg->sources[0].max_record_bytes),
            "multiline start \"^\\d{4}-\" (max_lines 500, max_bytes 2048, timeout 1000ms)");
  ASSERT_TRUE(cfg->sources[1].multiline);
  EXPECT_EQ(cfg->sources[1].multiline->describe(cfg->sources[1].max_record_bytes),
            "multiline continue \"^\\s\" (max_lines 20, max_bytes 1048576, timeout 250ms)");

  const char* bad = R"(sources:
  f:
    type: file
    path: /var/log/app.log
    max_record_bytes: 4096
    multiline: { start: '^\d{4}-', max_bytes: 8192 }
  k:
    type: kafka
    brokers: localhost:9092
    topics: [logs]
    group: g
    multiline: { start: '^S' }
pipelines:
  p: { inputs: [f, k], parser: json, metrics: [{ name: n_total, type: counter }] }
)";
  auto err = load_config_text(bad, "m.yaml");
  ASSERT_FALSE(err.ok());
  const std::string& m = err.error().message;
  EXPECT_THAT(m, HasSubstr("m.yaml:6:47: source 'f' multiline max_bytes: must be at most the "
                           "source's max_record_bytes (4096)"));
  EXPECT_THAT(m, HasSubstr("m.yaml:12:16: source 'k' multiline: not supported on kafka sources "
                           "yet; join multi-line records before they are produced, or read them "
                           "with a file or stdin source"));
}

}  // namespace
}  // namespace logtally::config
