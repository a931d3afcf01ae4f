#include "config/config.h"

#include <re2/re2.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <re2/re2.h>

#include "config/options.h"
#include "config/registry.h"
#include "ingest/multiline.h"
#include "ingest/source_options.h"
#include "transforms/filter.h"

namespace logtally::config {

namespace {

constexpr std::string_view kDefaultConfig =
    R"(# logtally's embedded default: the zero-config sidecar, `my-app | logtally`.
sources:
  stdin: { type: stdin }
pipelines:
  logs:
    inputs: [stdin]
    parser: { type: auto }
    metrics:
      - name: log_records_total
        type: counter
        help: Log records by level (from level, severity or lvl; unknown when absent).
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
sinks:
  prometheus: { type: prometheus_exporter, path: /metrics }
)";

// Reads a YAML document into a Config, collecting every error it finds.
class Loader : public Reader {
 public:
  Loader(std::string file, std::string_view text) : Reader(std::move(file), text) {}

  core::Result<Config> load();

 private:
  void load_source(const std::string& name, const YAML::Node& n, Config& cfg);
  void load_pipeline(const std::string& name, const YAML::Node& n, Config& cfg);
  void load_metric(const YAML::Node& n, const std::string& pipeline, PipelineConfig& p);
  void load_label(const std::string& name, const YAML::Node& key, const YAML::Node& n,
                  MetricConfig& m);
  void load_sink(const std::string& name, const YAML::Node& n, Config& cfg);
  // The parser (by the registered component) and the fields the metrics ask of it.
  void load_parser(const YAML::Node& parser, const std::string& what, PipelineConfig& p);
  void load_timestamp(const YAML::Node& n, const std::string& what, PipelineConfig& p);
  void load_exemplar(const YAML::Node& n, const std::string& what, bool type_ok, MetricConfig& m);
  void check_parser_fields(const std::string& what, const PipelineConfig& p);
  // Transforms (docs/transforms.md).
  std::optional<std::string> expression_value(const YAML::Node& n, const std::string& what);
  void load_label_rules(const YAML::Node& n, const std::string& what, LabelConfig& label);
  void load_metric_limits(const YAML::Node& n, const std::string& what, MetricConfig& m);
  void check_shared_metrics(const Config& cfg);
  void load_checkpoint(const YAML::Node& n, Config& cfg);

  bool parser_failed_ = false;  ///< The current pipeline's parser section was unusable.
  std::map<std::string, Location> metric_names_;
};

void Loader::load_source(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "source '" + name + "'";
  const std::vector<SourceEntry>& types = registry().sources();
  SourceConfig src;
  src.name = name;
  src.location = where(n);
  if (!n.IsMap() || !n["type"]) {
    error(n, what + ": expected a map with a 'type' (" + Registry::type_list(types) + ")");
    return;
  }
  const std::optional<std::string> type = string_value(n["type"], what + " type");
  if (!type) return;
  const SourceEntry* entry = registry().source(*type);
  if (entry == nullptr) {
    error(n["type"],
          what + ": unknown source type '" + *type + "'; expected " + Registry::type_list(types));
    return;
  }
  src.type = *type;
  // The source type reads its own keys (ingest/<type>/), then the keys every source has.
  check_keys(n, *entry->tables[0], what);
  if (entry->single) {
    for (const SourceConfig& other : cfg.sources) {
      if (other.type == src.type) {
        error(n,
              what + ": only one " + src.type + " source is allowed ('" + other.name + "' is one)");
      }
    }
  }
  src.spec = entry->load(*this, n, what);
  ingest::SourceCommon common;
  ingest::read_source_common(*this, n, what, common);
  src.format = common.format;
  src.max_record_bytes = common.max_record_bytes;
  src.multiline = common.multiline;
  cfg.sources.push_back(std::move(src));
}

// An expression (`filter:`, `when:`): compiled here once to report syntax errors at the
// column inside the expression, mapped to the file: the scalar's own column, plus one for an
// opening quote. (In a double-quoted scalar an escape shifts later columns; block scalars
// `|`/`>` point at the line of their first character.)
std::optional<std::string> Loader::expression_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  core::FieldPlan scratch;
  core::Result<transforms::Filter> f = transforms::compile_filter(*s, scratch);
  if (f) return s;
  const std::string_view text = this->text();
  Location loc = where(n);
  const int column = transforms::error_column(f.error());
  // The first character of the scalar in the file.
  size_t line_start = 0;
  for (int l = 1; l < loc.line && line_start != std::string_view::npos; ++l) {
    line_start = text.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  char first = '\0';
  if (line_start != std::string_view::npos && line_start + loc.column - 1 < text.size()) {
    first = text[line_start + loc.column - 1];
  }
  if (first == '|' || first == '>') {
    // A block scalar: its text starts on the next line, after the indentation.
    size_t next = text.find('\n', line_start);
    if (next != std::string_view::npos) {
      ++next;
      size_t indent = 0;
      while (next + indent < text.size() && text[next + indent] == ' ') ++indent;
      loc = {loc.line + 1, static_cast<int>(indent) + 1};
    }
  } else if (first == '"' || first == '\'') {
    loc.column += 1;
  }
  if (column > 0) loc.column += column - 1;
  std::string message = f.error().message;
  const size_t colon = message.find(": ");
  if (column > 0 && colon != std::string::npos) message = message.substr(colon + 2);
  error_at(loc,
           what + ": " + message + " (in \"" + *s + "\", column " + std::to_string(column) + ")");
  return std::nullopt;
}

void Loader::load_label_rules(const YAML::Node& n, const std::string& what, LabelConfig& label) {
  if (const YAML::Node map = n["map"]) {
    if (map.IsMap()) {
      // A plain mapping is an exact-value table: `map: { GET: read, POST: write }`.
      for (auto it = map.begin(); it != map.end(); ++it) {
        LabelMapEntry e;
        if (auto k = string_value(it->first, what + " map")) e.pattern = *k;
        if (auto v = string_value(it->second, what + " map")) e.to = *v;
        label.map.push_back(std::move(e));
      }
    } else if (map.IsSequence() && map.size() > 0) {
      const OptionTable& table = option_table("label map entry");
      for (const YAML::Node& row : map) {
        if (!check_keys(row, table, what + " map entry")) continue;
        LabelMapEntry e;
        const bool has_regex = static_cast<bool>(row["regex"]);
        if (has_regex == static_cast<bool>(row["equals"])) {
          error(row, what + " map entry: expected exactly one of 'regex' or 'equals'");
          continue;
        }
        e.is_regex = has_regex;
        const YAML::Node pat = has_regex ? row["regex"] : row["equals"];
        if (auto v = string_value(pat, what + " map entry")) e.pattern = *v;
        if (e.is_regex) check_regex(pat, e.pattern, what + " map entry");
        if (row["to"]) {
          if (auto v = string_value(row["to"], what + " map entry to")) e.to = *v;
        }
        label.map.push_back(std::move(e));
      }
    } else {
      error(map, what +
                     " map: expected a map of value -> new value, or a non-empty list of "
                     "{regex|equals, to}");
    }
  }
  if (const YAML::Node u = n["unmapped"]) {
    if (!n["map"]) error(u, what + ": 'unmapped' needs a 'map'");
    if (auto v = string_value(u, what + " unmapped")) {
      label.has_unmapped = true;
      label.unmapped = *v;
    }
  }
  if (const YAML::Node r = n["replace"]) {
    if (check_keys(r, option_table("label replace"), what + " replace")) {
      label.has_replace = true;
      if (r["regex"]) {
        if (auto v = string_value(r["regex"], what + " replace regex")) {
          label.replace_regex = *v;
          check_regex(r["regex"], *v, what + " replace regex");
        }
      }
      if (r["with"]) {
        if (auto v = string_value(r["with"], what + " replace with")) label.replace_with = *v;
      }
    }
  }
}

void Loader::load_metric_limits(const YAML::Node& n, const std::string& what, MetricConfig& m) {
  if (n["when"]) {
    if (auto e = expression_value(n["when"], what + " when")) m.when = *e;
  }
  if (n["max_series"]) {
    if (auto v = integer_value(n["max_series"], what + " max_series", 0, 1LL << 31)) {
      m.max_series = static_cast<size_t>(*v);
      m.max_series_set = true;
    }
  }
  if (n["expire_after"]) {
    if (auto s = string_value(n["expire_after"], what + " expire_after")) {
      const auto d = parse_duration(*s);
      const int64_t ms = d ? d->count() : 0;
      if (ms <= 0) {
        error(n["expire_after"], what +
                                     " expire_after: expected a positive duration such as "
                                     "90s, 10m, 1h30m or 500ms, got \"" +
                                     *s + "\"");
      } else {
        m.expire_after_ms = ms;
      }
    }
  }
  if (const YAML::Node init = n["initial"]) {
    if (!init.IsSequence() || init.size() == 0) {
      error(init, what + " initial: expected a non-empty list of maps of label name -> value");
      return;
    }
    for (const YAML::Node& row : init) {
      if (!row.IsMap()) {
        error(row,
              what + " initial: expected a map of label name -> value, like {status: \"500\"}");
        continue;
      }
      std::vector<std::string> values(m.labels.size());
      std::vector<bool> given(m.labels.size(), false);
      bool ok = true;
      for (auto it = row.begin(); it != row.end(); ++it) {
        const std::string name = it->first.Scalar();
        size_t li = m.labels.size();
        for (size_t i = 0; i < m.labels.size(); ++i) {
          if (m.labels[i].name == name) li = i;
        }
        if (li == m.labels.size()) {
          error(it->first, what + " initial: the metric has no label '" + name + "'");
          ok = false;
          continue;
        }
        if (auto v = string_value(it->second, what + " initial")) {
          values[li] = *v;
          given[li] = true;
          if (m.labels[li].is_const && *v != m.labels[li].default_value) {
            error(it->second, what + " initial: label '" + name + "' is the constant \"" +
                                  m.labels[li].default_value + "\"");
            ok = false;
          }
        }
      }
      for (size_t i = 0; i < m.labels.size(); ++i) {
        if (given[i]) continue;
        if (m.labels[i].is_const) {
          values[i] = m.labels[i].default_value;
        } else {
          error(row, what + " initial: missing label '" + m.labels[i].name + "'");
          ok = false;
        }
      }
      if (ok) m.initial.push_back(std::move(values));
    }
  }
}

// Entries with the same name must all say `shared: true` and agree on what the metric is; the
// first entry defines help, max_series, expire_after and initial, which the others must not set.
void Loader::check_shared_metrics(const Config& cfg) {
  std::map<std::string, const MetricConfig*> first;
  for (const PipelineConfig& p : cfg.pipelines) {
    for (const MetricConfig& m : p.metrics) {
      auto [it, inserted] = first.try_emplace(m.name, &m);
      if (inserted) continue;
      const MetricConfig& f = *it->second;
      const std::string what = "metric '" + m.name + "'";
      const std::string at = " (first defined at line " + std::to_string(f.location.line) + ")";
      if (!f.shared || !m.shared) {
        if (f.shared || m.shared) {
          error_at(m.location, what + ": every entry of a shared metric needs shared: true" + at);
        }
        continue;  // plain duplicates were reported by load_metric
      }
      std::vector<std::string> fl;
      std::vector<std::string> ml;
      for (const LabelConfig& l : f.labels) fl.push_back(l.name);
      for (const LabelConfig& l : m.labels) ml.push_back(l.name);
      std::vector<std::string> fe;
      std::vector<std::string> me;
      for (const auto& e : f.exemplar) fe.push_back(e.first);
      for (const auto& e : m.exemplar) me.push_back(e.first);
      if (f.type != m.type || f.mode != m.mode || f.buckets != m.buckets || fl != ml) {
        error_at(m.location, what +
                                 ": a shared metric needs the same type, mode, buckets and "
                                 "label names in the same order in every entry" +
                                 at);
      } else if (fe != me) {
        error_at(m.location, what +
                                 ": a shared metric needs the same exemplar label names in the "
                                 "same order in every entry" +
                                 at);
      }
      if (m.max_series_set || m.expire_after_ms != 0 || !m.initial.empty() || m.help_set) {
        error_at(m.location, what +
                                 ": help, max_series, expire_after and initial of a shared "
                                 "metric belong on its first entry" +
                                 at);
      }
    }
  }
}

void Loader::load_label(const std::string& name, const YAML::Node& key, const YAML::Node& n,
                        MetricConfig& m) {
  const std::string what = "metric '" + m.name + "' label '" + name + "'";
  if (!valid_label_name(name) || name.rfind("__", 0) == 0) {
    error(key, what + ": invalid label name; expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
  }
  if (m.type == core::MetricType::kHistogram && name == "le") {
    error(key, what + ": 'le' is reserved for histogram buckets");
  }
  LabelConfig label;
  label.name = name;
  if (n.IsScalar()) {
    if (auto p = path_value(n, what)) label.fields.push_back(*p);
  } else if (check_keys(n, option_table("label"), what)) {
    const bool has_field = static_cast<bool>(n["field"]);
    const bool has_const = static_cast<bool>(n["const"]);
    if (has_field == has_const) {
      error(n, what + ": expected exactly one of 'field' or 'const'");
    }
    if (has_field) {
      const YAML::Node f = n["field"];
      if (f.IsSequence()) {
        if (f.size() == 0) error(f, what + " field: expected at least one field path");
        for (const YAML::Node& item : f) {
          if (auto p = path_value(item, what + " field")) label.fields.push_back(*p);
        }
      } else if (auto p = path_value(f, what + " field")) {
        label.fields.push_back(*p);
      }
    }
    if (has_const) {
      label.is_const = true;
      if (auto v = string_value(n["const"], what + " const")) label.default_value = *v;
      if (n["default"]) error(n["default"], what + ": 'default' makes no sense with 'const'");
      if (n["lowercase"]) error(n["lowercase"], what + ": 'lowercase' makes no sense with 'const'");
    }
    if (n["default"] && !has_const) {
      if (auto v = string_value(n["default"], what + " default")) label.default_value = *v;
    }
    if (n["lowercase"] && !has_const) {
      if (auto v = bool_value(n["lowercase"], what + " lowercase")) label.lowercase = *v;
    }
    if (has_const && (n["map"] || n["replace"] || n["unmapped"])) {
      error(n, what + ": 'map', 'replace' and 'unmapped' make no sense with 'const'");
    } else {
      load_label_rules(n, what, label);
    }
  }
  for (const LabelConfig& other : m.labels) {
    if (other.name == name) error(key, what + ": duplicate label");
  }
  m.labels.push_back(std::move(label));
}

void Loader::load_metric(const YAML::Node& n, const std::string& pipeline, PipelineConfig& p) {
  MetricConfig m;
  m.location = where(n);
  if (!check_keys(n, option_table("metric"), "pipeline '" + pipeline + "' metric")) return;
  if (n["name"]) {
    if (auto s = string_value(n["name"], "metric name")) m.name = *s;
  }
  const std::string what = "metric '" + m.name + "'";
  if (n["name"]) {
    if (!valid_metric_name(m.name)) {
      error(n["name"], what + ": invalid metric name; expected [a-zA-Z_:][a-zA-Z0-9_:]*");
    } else if (m.name.rfind("logtally_", 0) == 0) {
      error(n["name"], what + ": names starting with logtally_ are reserved for self-metrics");
    } else if (auto it = metric_names_.find(m.name); it != metric_names_.end()) {
      // Entries that all say `shared: true` are one metric; checked in check_shared_metrics.
      bool shared = false;
      if (n["shared"]) {
        if (auto v = bool_value(n["shared"], what + " shared")) shared = *v;
      }
      if (!shared) {
        error(n["name"], what + ": already defined at line " + std::to_string(it->second.line) +
                             " (write shared: true on every entry to feed one metric from "
                             "several rules)");
      }
    } else {
      metric_names_[m.name] = where(n["name"]);
    }
  }
  bool type_ok = false;
  if (n["type"]) {
    if (auto t = string_value(n["type"], what + " type")) {
      type_ok = true;
      if (*t == "counter") {
        m.type = core::MetricType::kCounter;
      } else if (*t == "gauge") {
        m.type = core::MetricType::kGauge;
      } else if (*t == "histogram") {
        m.type = core::MetricType::kHistogram;
      } else {
        type_ok = false;
        error(n["type"],
              what + ": unknown type '" + *t + "'; expected counter, gauge or histogram");
      }
    }
  }
  m.help = "Counted by logtally pipeline \"" + pipeline + "\".";
  if (n["help"]) {
    if (auto s = string_value(n["help"], what + " help")) m.help = *s;
    m.help_set = true;
  }
  if (n["value"]) {
    m.value = path_value(n["value"], what + " value");
  } else if (type_ok && m.type != core::MetricType::kCounter) {
    error(n,
          what + ": a " + std::string(core::metric_type_name(m.type)) + " needs a 'value' field");
  }
  if (n["subtract"]) {
    if (!n["value"]) {
      error(n["subtract"], what + ": 'subtract' needs a 'value' field to subtract from");
    } else {
      m.subtract = path_value(n["subtract"], what + " subtract");
    }
  }
  if (n["scale"]) {
    if (auto v = number_value(n["scale"], what + " scale")) {
      if (*v == 0) error(n["scale"], what + " scale: must not be 0");
      m.scale = *v;
    }
  }
  if (n["unit"]) {
    if (auto s = string_value(n["unit"], what + " unit")) {
      if (*s == "duration") {
        m.unit = transforms::ValueUnit::kDuration;
      } else if (*s == "timestamp") {
        m.unit = transforms::ValueUnit::kTimestamp;
      } else {
        error(n["unit"], what + " unit: expected duration or timestamp, got \"" + *s + "\"");
      }
      if (!n["value"]) error(n["unit"], what + ": 'unit' needs a 'value' field to read");
    }
  }
  if (n["mode"]) {
    if (type_ok && m.type != core::MetricType::kGauge) {
      error(n["mode"], what + ": 'mode' applies to gauges only");
    } else if (auto s = string_value(n["mode"], what + " mode")) {
      if (*s == "set") {
        m.mode = core::GaugeMode::kSet;
      } else if (*s == "add") {
        m.mode = core::GaugeMode::kAdd;
      } else if (*s == "max") {
        m.mode = core::GaugeMode::kMax;
      } else if (*s == "min") {
        m.mode = core::GaugeMode::kMin;
      } else {
        error(n["mode"], what + " mode: expected set, add, max or min, got \"" + *s + "\"");
      }
    }
  }
  if (n["buckets"]) {
    const YAML::Node b = n["buckets"];
    if (type_ok && m.type != core::MetricType::kHistogram) {
      error(b, what + ": 'buckets' applies to histograms only");
    } else if (!b.IsSequence() || b.size() == 0) {
      error(b, what + " buckets: expected a non-empty list of numbers");
    } else {
      for (const YAML::Node& item : b) {
        std::optional<double> v = number_value(item, what + " buckets");
        if (!v) continue;
        if (!m.buckets.empty() && *v <= m.buckets.back()) {
          error(item, what + " buckets: expected strictly increasing bounds, " + item.Scalar() +
                          " does not exceed the one before");
        }
        m.buckets.push_back(*v);
      }
    }
  } else if (m.type == core::MetricType::kHistogram) {
    m.buckets = default_buckets();
  }
  if (n["labels"]) {
    const YAML::Node labels = n["labels"];
    if (!labels.IsMap()) {
      error(labels, what + " labels: expected a map of label name -> field or label map");
    } else {
      for (auto it = labels.begin(); it != labels.end(); ++it) {
        load_label(it->first.Scalar(), it->first, it->second, m);
      }
    }
  }
  load_metric_limits(n, what, m);
  if (n["shared"]) {
    if (auto v = bool_value(n["shared"], what + " shared")) m.shared = *v;
  }
  if (const YAML::Node ex = n["exemplar"]) load_exemplar(ex, what, type_ok, m);
  p.metrics.push_back(std::move(m));
}

void Loader::load_exemplar(const YAML::Node& n, const std::string& what, bool type_ok,
                           MetricConfig& m) {
  const std::string w = what + " exemplar";
  if (type_ok && m.type == core::MetricType::kGauge) {
    error(n, what + ": 'exemplar' applies to counters and histograms only");
    return;
  }
  if (!n.IsMap() || n.size() == 0) {
    error(n, w + ": expected a map of label name -> field path, like { trace_id: trace_id }");
    return;
  }
  size_t name_chars = 0;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.Scalar();
    if (!valid_label_name(name) || name.rfind("__", 0) == 0) {
      error(it->first, w + ": invalid label name '" + name +
                           "'; expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
      continue;
    }
    bool duplicate = false;
    for (const auto& [other, path] : m.exemplar) duplicate = duplicate || other == name;
    if (duplicate) {
      error(it->first, w + ": duplicate label '" + name + "'");
      continue;
    }
    name_chars += name.size();
    if (auto path = path_value(it->second, w + " " + name)) m.exemplar.emplace_back(name, *path);
  }
  if (name_chars >= core::kExemplarMaxChars) {
    error(n, w + ": the label names alone take " + std::to_string(name_chars) +
                 " characters; an exemplar's names and values may take at most " +
                 std::to_string(core::kExemplarMaxChars));
  }
}

void Loader::load_timestamp(const YAML::Node& n, const std::string& what, PipelineConfig& p) {
  const std::string w = what + " timestamp";
  if (!n.IsMap()) {
    error(n, w + ": expected a map such as { field: ts, format: rfc3339 }");
    return;
  }
  if (!check_keys(n, option_table("timestamp"), w)) return;
  std::optional<core::FieldPath> field;
  if (n["field"]) {
    field = path_value(n["field"], w + " field");
  } else {
    error(n, w + ": missing required key 'field'");
  }
  std::string format = "rfc3339";
  if (n["format"]) {
    if (auto v = string_value(n["format"], w + " format")) format = *v;
  }
  std::string zone;
  if (n["timezone"]) {
    if (auto v = string_value(n["timezone"], w + " timezone")) zone = *v;
  }
  auto compiled = transforms::TimeFormat::compile(format, zone);
  if (!compiled) {
    // The zone's error when the zone is what is wrong, else the format's.
    const bool zone_bad = !transforms::TimeZone::named(zone);
    const YAML::Node at = zone_bad && n["timezone"] ? n["timezone"] : n["format"] ? n["format"] : n;
    error(at, w + " " + compiled.error().message);
    return;
  }
  if (field) {
    p.timestamp = TimestampConfig{
        *field, std::make_shared<const transforms::TimeFormat>(std::move(*compiled))};
  }
}

void Loader::load_pipeline(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "pipeline '" + name + "'";
  parser_failed_ = false;
  PipelineConfig p;
  p.name = name;
  p.location = where(n);
  if (!check_keys(n, option_table("pipeline"), what)) return;
  if (const YAML::Node in = n["inputs"]) {
    if (in.IsScalar()) {
      if (auto s = string_value(in, what + " inputs")) p.inputs.push_back(*s);
    } else if (in.IsSequence()) {
      if (in.size() == 0) error(in, what + " inputs: expected at least one source name");
      for (const YAML::Node& item : in) {
        if (auto s = string_value(item, what + " inputs")) p.inputs.push_back(*s);
      }
    } else {
      error(in, what + " inputs: expected a list of source names");
    }
    // Report inputs naming no source at the inputs node.
    for (size_t i = 0; i < p.inputs.size(); ++i) {
      bool found = false;
      for (const SourceConfig& s : cfg.sources) found = found || s.name == p.inputs[i];
      if (!found) {
        std::string known;
        for (const SourceConfig& s : cfg.sources) known += (known.empty() ? "" : ", ") + s.name;
        const YAML::Node at = in.IsSequence() ? in[i] : in;
        error(at, what + " inputs: no source named '" + p.inputs[i] +
                      "'; sources are: " + (known.empty() ? "(none)" : known));
      }
    }
  }
  if (const YAML::Node parser = n["parser"]) load_parser(parser, what, p);
  if (n["filter"]) {
    if (auto e = expression_value(n["filter"], what + " filter")) p.filter = *e;
  }
  if (const YAML::Node ts = n["timestamp"]) load_timestamp(ts, what, p);
  if (const YAML::Node metrics = n["metrics"]) {
    if (!metrics.IsSequence() || metrics.size() == 0) {
      error(metrics, what + " metrics: expected a non-empty list of metrics");
    } else {
      for (const YAML::Node& m : metrics) load_metric(m, name, p);
    }
  }
  check_parser_fields(what, p);
  cfg.pipelines.push_back(std::move(p));
}

// A sink's keys are its type's own (sinks/<type>/config.cpp, found in the registry): this checks
// them against its table, lets it read them, and asks earlier sinks for conflicts.
void Loader::load_sink(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "sink '" + name + "'";
  if (!n.IsMap() || !n["type"]) {
    error(n, what + ": expected a map with a 'type' (prometheus_exporter)");
    return;
  }
  const std::optional<std::string> type = string_value(n["type"], what + " type");
  if (!type) return;
  const SinkEntry* entry = registry().sink(*type);
  if (entry == nullptr) {
    // Listed by name (the registry's order is the reference's: the exporter, pushing sinks,
    // remote_write with its sub-tables last).
    std::vector<SinkEntry> by_name = registry().sinks();
    std::sort(by_name.begin(), by_name.end(),
              [](const SinkEntry& a, const SinkEntry& b) { return a.type < b.type; });
    error(n["type"],
          what + ": unknown sink type '" + *type + "'; expected " + Registry::type_list(by_name));
    return;
  }
  check_keys(n, *entry->tables[0], what);
  std::shared_ptr<const sinks::SinkSpec> spec = entry->load(*this, n, what);
  if (spec == nullptr) return;
  for (const SinkConfig& other : cfg.sinks) {
    const std::string conflict = spec->conflict_with(*other.spec, other.name);
    if (!conflict.empty()) error(n, what + ": " + conflict);
  }
  cfg.sinks.push_back({name, *type, where(n), std::move(spec), YAML::Dump(n)});
}

// The parser section: `parser: TYPE` or a map with `type:` and the type's own keys, read by the
// parser component registered for that type (config/register_all.cpp).
void Loader::load_parser(const YAML::Node& parser, const std::string& what, PipelineConfig& p) {
  const std::string types = Registry::type_list(registry().parsers());
  std::optional<std::string> type;
  if (parser.IsScalar()) {
    type = string_value(parser, what + " parser");
  } else if (parser.IsMap() && parser["type"]) {
    type = string_value(parser["type"], what + " parser type");
  } else {
    error(parser, what + " parser: expected a map with a 'type' (" + types + ")");
  }
  if (!type) return;
  const ParserEntry* entry = registry().parser(*type);
  if (entry == nullptr) {
    error(parser.IsMap() ? parser["type"] : parser,
          what + " parser: unknown parser type '" + *type + "'; expected " + types);
    return;
  }
  if (parser.IsMap()) check_keys(parser, *entry->tables.front(), what + " parser");
  if (auto spec = entry->load(*this, parser, what)) {
    p.parser = std::move(spec);
  } else {
    parser_failed_ = true;
  }
}

// Every field a metric reads must be one the parser can fill (the regex parser fills its named
// groups only). Skipped when the parser section itself was wrong.
void Loader::check_parser_fields(const std::string& what, const PipelineConfig& p) {
  if (parser_failed_) return;
  auto check = [&](const MetricConfig& m, const core::FieldPath& path, const std::string& use) {
    const std::string problem = p.parser->check_field(path, what);
    if (!problem.empty()) error_at(m.location, "metric '" + m.name + "' " + use + ": " + problem);
  };
  for (const MetricConfig& m : p.metrics) {
    if (m.value) check(m, *m.value, "value");
    if (m.subtract) check(m, *m.subtract, "subtract");
    for (const LabelConfig& l : m.labels) {
      for (const core::FieldPath& f : l.fields) check(m, f, "label '" + l.name + "'");
    }
    for (const auto& [name, path] : m.exemplar) check(m, path, "exemplar '" + name + "'");
  }
}

core::Result<Config> Loader::load() {
  const std::string_view text = this->text();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    error_at({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return core::make_error(core::ErrorCode::kConfig, errors().front());
  }
  Config cfg;
  cfg.file = file();
  const unsigned cores = std::thread::hardware_concurrency();
  cfg.workers = cores == 0 ? 1 : cores;

  if (!root.IsMap()) {
    error_at({1, 1}, "expected a map with keys " + option_table("top level").key_list());
    return core::make_error(core::ErrorCode::kConfig, errors().front());
  }
  check_keys(root, option_table("top level"), "config");
  if (root["workers"]) {
    if (auto v = integer_value(root["workers"], "workers", 1, 256)) cfg.workers = *v;
  }
  if (root["max_record_bytes"]) {
    if (auto v = integer_value(root["max_record_bytes"], "max_record_bytes", 16, 1LL << 30)) {
      cfg.max_record_bytes = static_cast<size_t>(*v);
    }
  }
  if (root["max_series"]) {
    if (auto v = integer_value(root["max_series"], "max_series", 0, 1LL << 31)) {
      cfg.max_series = static_cast<size_t>(*v);
    }
  }
  if (const YAML::Node sources = root["sources"]) {
    if (!sources.IsMap() || sources.size() == 0) {
      error(sources, "sources: expected a map of source name -> source");
    } else {
      for (auto it = sources.begin(); it != sources.end(); ++it) {
        load_source(it->first.Scalar(), it->second, cfg);
      }
    }
  }
  for (SourceConfig& s : cfg.sources) {
    if (s.max_record_bytes == 0) s.max_record_bytes = cfg.max_record_bytes;
    // A joined record must fit where a line fits (a batch holds max_record_bytes).
    if (s.multiline && s.multiline->max_bytes > s.max_record_bytes) {
      error_at(s.multiline->max_bytes_at, "source '" + s.name +
                                              "' multiline max_bytes: must be at most the source's "
                                              "max_record_bytes (" +
                                              std::to_string(s.max_record_bytes) + ")");
    }
  }
  if (root["checkpoint"]) load_checkpoint(root["checkpoint"], cfg);
  if (const YAML::Node pipelines = root["pipelines"]) {
    if (!pipelines.IsMap() || pipelines.size() == 0) {
      error(pipelines, "pipelines: expected a map of pipeline name -> pipeline");
    } else {
      for (auto it = pipelines.begin(); it != pipelines.end(); ++it) {
        load_pipeline(it->first.Scalar(), it->second, cfg);
      }
    }
  }
  if (const YAML::Node sinks = root["sinks"]) {
    if (sinks.IsMap()) {
      for (auto it = sinks.begin(); it != sinks.end(); ++it) {
        load_sink(it->first.Scalar(), it->second, cfg);
      }
    } else if (!sinks.IsNull()) {
      error(sinks, "sinks: expected a map of sink name -> sink (or nothing)");
    }
  }

  check_shared_metrics(cfg);
  if (root["slos"]) load_slos(*this, root["slos"], cfg);
  for (PipelineConfig& p : cfg.pipelines) {
    for (MetricConfig& m : p.metrics) {
      if (!m.max_series_set) m.max_series = cfg.max_series;
      if (m.max_series != 0 && m.initial.size() > m.max_series) {
        error_at(m.location, "metric '" + m.name + "': " + std::to_string(m.initial.size()) +
                                 " initial series exceed max_series " +
                                 std::to_string(m.max_series));
      }
    }
  }

  if (!errors().empty()) return core::make_error(core::ErrorCode::kConfig, all_errors());
  return cfg;
}

void Loader::load_checkpoint(const YAML::Node& n, Config& cfg) {
  if (!check_keys(n, option_table("checkpoint"), "checkpoint")) return;
  if (n["dir"]) {
    if (auto d = string_value(n["dir"], "checkpoint dir")) {
      if (d->empty()) {
        error(n["dir"], "checkpoint dir: must not be empty");
      } else {
        cfg.checkpoint.dir = *d;
      }
    }
  }
  if (n["interval"]) {
    if (auto ms = duration_millis(n["interval"], "checkpoint interval")) {
      cfg.checkpoint.interval_millis = *ms;
    }
  }
  if (n["serve"]) {
    if (auto v = string_value(n["serve"], "checkpoint serve")) {
      if (*v == "new_checkpoint") {
        cfg.checkpoint.serve_new_checkpoint = true;
      } else if (*v != "last_checkpoint") {
        error(n["serve"],
              "checkpoint serve: must be last_checkpoint or new_checkpoint, not \"" + *v + "\"");
      }
    }
  }
}

}  // namespace

const std::vector<double>& default_buckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,    2.5,   5,    10};
  return buckets;
}

std::string_view default_config_text() { return kDefaultConfig; }

core::Result<Config> load_config_text(std::string_view text, const std::string& file_name) {
  Loader loader(file_name, text);
  return loader.load();
}

core::Result<Config> load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::make_error(core::ErrorCode::kConfig, path + ": cannot read the config file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path);
}

}  // namespace logtally::config
