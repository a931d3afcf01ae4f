// The configuration: what a YAML file says, validated, before anything runs.
//
// load_config_*() reports every problem at once: each line of the Error's message is
// `FILE:LINE:COLUMN: what is wrong; what was expected`. Keys and meaning of each section are
// in config/options.cpp (and docs/config-reference.md, generated from it).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metric_store.h"
#include "core/record.h"
#include "core/result.h"
#include "ingest/envelope_format.h"
#include "parsers/parser.h"

namespace logtally::config {

struct Location {
  int line = 0;    ///< 1-based.
  int column = 0;  ///< 1-based.
};

struct SourceConfig {
  enum class Type : uint8_t { kStdin, kFile, kKafka };
  std::string name;
  Type type = Type::kStdin;
  std::string path;
  bool start_at_end = false;
  std::vector<std::string> include;  ///< Globs (file source); `path` adds itself here.
  std::vector<std::string> exclude;
  std::string path_pattern;  ///< RE2 with named groups (validated at load).
  int poll_millis = 250;
  size_t max_record_bytes = 0;  ///< Resolved: the source's own or the top-level value.
  ingest::EnvelopeFormat format = ingest::EnvelopeFormat::kNone;  ///< `format:` cri/docker/none.
  // Kafka (type: kafka) only.
  std::string brokers;
  std::vector<std::string> topics;  ///< Names, or `^regex` patterns.
  std::string group;
  std::vector<std::pair<std::string, std::string>> librdkafka;  ///< Passed through as-is.
  Location location;
};

struct LabelConfig {
  std::string name;
  bool is_const = false;
  std::vector<core::FieldPath> fields;  ///< Candidates, first present wins.
  std::string default_value;            ///< For const labels: the value.
  bool lowercase = false;
};

struct MetricConfig {
  std::string name;
  std::string help;
  core::MetricType type = core::MetricType::kCounter;
  core::GaugeMode mode = core::GaugeMode::kSet;
  std::vector<LabelConfig> labels;
  std::optional<core::FieldPath> value;
  double scale = 1;
  std::vector<double> buckets;
  Location location;
};

struct PipelineConfig {
  std::string name;
  std::vector<std::string> inputs;
  parsers::ParserType parser = parsers::ParserType::kJson;
  std::vector<MetricConfig> metrics;
  Location location;
};

struct SinkConfig {
  enum class Type : uint8_t { kPrometheusExporter };
  std::string name;
  Type type = Type::kPrometheusExporter;
  std::string listen;
  std::string path;
  Location location;
};

struct CheckpointSettings {
  std::string dir;  ///< Empty: no checkpoints.
  int interval_millis = 5000;
};

struct Config {
  std::string file;  ///< Where it was loaded from ("<default>" for the embedded one).
  std::vector<SourceConfig> sources;
  std::vector<PipelineConfig> pipelines;
  std::vector<SinkConfig> sinks;
  size_t workers = 1;
  size_t max_record_bytes = 1 << 20;
  CheckpointSettings checkpoint;
};

/// Prometheus' default histogram buckets, used when a histogram names none.
const std::vector<double>& default_buckets();

/// The embedded default: JSON lines on stdin counted into log_records_total{level}, served on
/// 0.0.0.0:9898/metrics.
std::string_view default_config_text();

core::Result<Config> load_config_text(std::string_view text, const std::string& file_name);
core::Result<Config> load_config_file(const std::string& path);

}  // namespace logtally::config
