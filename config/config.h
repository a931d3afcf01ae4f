// The configuration: what a YAML file says, validated, before anything runs.
//
// load_config_*() reports every problem at once: each line of the Error's message is
// `FILE:LINE:COLUMN: what is wrong; what was expected`. Keys and meaning of each section are
// in config/options.cpp (and docs/config-reference.md, generated from it).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/reader.h"
#include "config/slo.h"
#include "core/metric_store.h"
#include "core/record.h"
#include "core/result.h"
#include "ingest/envelope_format.h"
#include "ingest/source.h"
#include "parsers/json_parser.h"
#include "parsers/parser.h"
#include "sinks/sink.h"
#include "transforms/event_time.h"
#include "transforms/value_units.h"

namespace logtally::config {

/// A source: what every source has, and its type's own config (ingest/<type>/, registered in
/// config/register_all.cpp), which builds the runtime source.
struct SourceConfig {
  std::string name;
  std::string type;             ///< The `type:` value (a registered source type).
  size_t max_record_bytes = 0;  ///< Resolved: the source's own or the top-level value.
  ingest::EnvelopeFormat format = ingest::EnvelopeFormat::kNone;  ///< `format:` cri/docker/none.
  std::shared_ptr<const ingest::MultilineConfig> multiline;       ///< `multiline:` (null: none).
  Location location;
  std::shared_ptr<const ingest::SourceSpec> spec;  ///< Null only in a config with errors.
};

/// One row of a label's `map:` (docs/transforms.md).
struct LabelMapEntry {
  bool is_regex = false;  ///< `pattern` is an RE2 pattern (whole value) rather than exact text.
  std::string pattern;
  std::string to;
};

struct LabelConfig {
  std::string name;
  bool is_const = false;
  std::vector<core::FieldPath> fields;  ///< Candidates, first present wins.
  std::string default_value;            ///< For const labels: the value.
  bool lowercase = false;
  std::vector<LabelMapEntry> map;  ///< Value table, first matching row wins.
  bool has_unmapped = false;       ///< With a map: value for rows that match no entry.
  std::string unmapped;
  bool has_replace = false;  ///< `replace: {regex, with}` (RE2, whole value).
  std::string replace_regex;
  std::string replace_with;
};

struct MetricConfig {
  std::string name;
  std::string help;
  core::MetricType type = core::MetricType::kCounter;
  core::GaugeMode mode = core::GaugeMode::kSet;
  std::vector<LabelConfig> labels;
  std::optional<core::FieldPath> value;
  std::optional<core::FieldPath> subtract;  ///< `subtract:`: value - this field (needs value).
  double scale = 1;
  transforms::ValueUnit unit = transforms::ValueUnit::kNone;  ///< Applies before scale.
  std::vector<double> buckets;
  std::string when;             ///< Filter expression; empty = every record.
  size_t max_series = 0;        ///< Resolved: the metric's own or the top-level value.
  bool max_series_set = false;  ///< The metric named its own max_series.
  int64_t expire_after_ms = 0;  ///< 0 = never.
  std::vector<std::vector<std::string>> initial;  ///< Label values in label order.
  /// `shared: true`: other entries with this name (also shared, same type, labels, mode and
  /// buckets) update the same metric; the first entry's help, limits and initial apply.
  bool shared = false;
  bool help_set = false;  ///< `help:` was written (not the default).
  /// `exemplar:` (counters and histograms): exemplar label name -> the field it reads, in the
  /// order written; empty: no exemplars.
  std::vector<std::pair<std::string, core::FieldPath>> exemplar;
  Location location;
};

/// A pipeline's `timestamp`: where a record's own time is and how it is written.
struct TimestampConfig {
  core::FieldPath field;
  std::shared_ptr<const transforms::TimeFormat> format;  ///< Compiled, with its time zone.
};

struct PipelineConfig {
  std::string name;
  std::vector<std::string> inputs;
  /// The parser's validated config (its `type:` and options); JSON when the section was wrong.
  std::shared_ptr<const parsers::ParserSpec> parser = parsers::json_parser_spec();
  std::vector<MetricConfig> metrics;
  std::string filter;                        ///< Filter expression; empty = every record.
  std::optional<TimestampConfig> timestamp;  ///< Unset: records have no event time.
  Location location;
};

/// One entry of `sinks:`; its keys are its type's (the sink's own files, sinks/<type>/).
struct SinkConfig {
  std::string name;
  std::string type;  ///< The `type:` value, registered in config/register_all.cpp.
  Location location;
  std::shared_ptr<const sinks::SinkSpec> spec;  ///< Never null once loaded.
  /// The entry as written (YAML, variables not substituted): a reload keeps a running sink
  /// whose name and text are unchanged.
  std::string yaml;
};

struct CheckpointSettings {
  std::string dir;  ///< Empty: no checkpoints.
  int interval_millis = 5000;
  /// `serve: new_checkpoint`: every read makes a checkpoint first (else the last one is served).
  bool serve_new_checkpoint = false;
};

struct Config {
  std::string file;  ///< Where it was loaded from ("<default>" for the embedded one).
  std::vector<SourceConfig> sources;
  std::vector<PipelineConfig> pipelines;
  std::vector<SinkConfig> sinks;
  size_t workers = 1;
  size_t max_record_bytes = 1 << 20;
  size_t max_series = 10000;  ///< Default cardinality limit per metric (0 = none).
  CheckpointSettings checkpoint;
  std::vector<SloConfig> slos;  ///< `slos:` (config/slo.h, docs/slos.md).
};

/// Prometheus' default histogram buckets, used when a histogram names none.
const std::vector<double>& default_buckets();

/// The embedded default: JSON lines on stdin counted into log_records_total{level}, served on
/// 0.0.0.0:9898/metrics.
std::string_view default_config_text();

core::Result<Config> load_config_text(std::string_view text, const std::string& file_name);
core::Result<Config> load_config_file(const std::string& path);

}  // namespace logtally::config
