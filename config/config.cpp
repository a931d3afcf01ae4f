#include "config/config.h"

#include <re2/re2.h>

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "config/options.h"
#include "ingest/kafka_source.h"

namespace logtally::config {

namespace {

constexpr std::string_view kDefaultConfig =
    R"(# logtally's embedded default: the zero-config sidecar, `my-app | logtally`.
sources:
  stdin: { type: stdin }
pipelines:
  logs:
    inputs: [stdin]
    parser: { type: json }
    metrics:
      - name: log_records_total
        type: counter
        help: Log records by level (from level, severity or lvl; unknown when absent).
        labels:
          level: { field: [level, severity, lvl], lowercase: true, default: unknown }
sinks:
  prometheus: { type: prometheus_exporter, listen: "0.0.0.0:9898", path: /metrics }
)";

bool valid_metric_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

bool valid_label_name(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

// Reads a YAML document into a Config, collecting every error it finds.
class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  core::Result<Config> load(std::string_view text);

 private:
  Location where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.line < 0) return {0, 0};
    return {m.line + 1, m.column + 1};
  }
  void error(const YAML::Node& n, const std::string& message) { error_at(where(n), message); }
  void error_at(Location loc, const std::string& message) {
    std::ostringstream line;
    line << file_ << ':' << loc.line << ':' << loc.column << ": " << message;
    errors_.push_back(line.str());
  }

  // Checks that `node` is a map whose keys all appear in `table`; reports unknown, duplicate
  // and missing required keys. Returns false if `node` is not a map.
  bool check_keys(const YAML::Node& node, const OptionTable& table, const std::string& what);

  std::optional<std::string> string_value(const YAML::Node& n, const std::string& what);
  std::optional<double> number_value(const YAML::Node& n, const std::string& what);
  std::optional<long long> integer_value(const YAML::Node& n, const std::string& what, long long lo,
                                         long long hi);
  std::optional<bool> bool_value(const YAML::Node& n, const std::string& what);
  std::optional<core::FieldPath> path_value(const YAML::Node& n, const std::string& what);
  bool substitute_env(const YAML::Node& n, const std::string& in, std::string& out);

  void load_source(const std::string& name, const YAML::Node& n, Config& cfg);
  void load_kafka_source(const YAML::Node& n, const std::string& what, SourceConfig& src);
  void load_pipeline(const std::string& name, const YAML::Node& n, Config& cfg);
  void load_metric(const YAML::Node& n, const std::string& pipeline, PipelineConfig& p);
  void load_label(const std::string& name, const YAML::Node& key, const YAML::Node& n,
                  MetricConfig& m);
  void load_sink(const std::string& name, const YAML::Node& n, Config& cfg);
  void load_file_source_keys(const YAML::Node& n, const std::string& what, SourceConfig& src);
  void load_checkpoint(const YAML::Node& n, Config& cfg);
  std::optional<int> duration_millis(const YAML::Node& n, const std::string& what);

  std::string file_;
  std::vector<std::string> errors_;
  std::map<std::string, Location> metric_names_;
};

bool Loader::check_keys(const YAML::Node& node, const OptionTable& table, const std::string& what) {
  if (!node.IsMap()) {
    error(node, what + ": expected a map with keys " + table.key_list());
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (table.find(key) == nullptr) {
      error(it->first, what + ": unknown key '" + key + "'; expected one of: " + table.key_list());
    } else if (!seen.insert(key).second) {
      error(it->first, what + ": duplicate key '" + key + "'");
    }
  }
  for (const Option& o : table.options) {
    if (o.required && !seen.count(std::string(o.key))) {
      error(node, what + ": missing required key '" + std::string(o.key) + "'");
    }
  }
  return true;
}

bool Loader::substitute_env(const YAML::Node& n, const std::string& in, std::string& out) {
  out.clear();
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '$' && i + 2 < in.size() && in[i + 1] == '$' && in[i + 2] == '{') {
      out += "${";
      i += 3;
      continue;
    }
    if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '{') {
      const size_t close = in.find('}', i + 2);
      if (close == std::string::npos) {
        error(n, "unterminated ${...} in \"" + in + "\"");
        return false;
      }
      std::string body = in.substr(i + 2, close - i - 2);
      std::string name = body;
      std::optional<std::string> fallback;
      const size_t dash = body.find(":-");
      if (dash != std::string::npos) {
        name = body.substr(0, dash);
        fallback = body.substr(dash + 2);
      }
      if (!valid_label_name(name)) {
        error(n, "invalid environment variable name '" + name + "' in ${...}");
        return false;
      }
      const char* env = std::getenv(name.c_str());
      if (env != nullptr && (*env != '\0' || !fallback)) {
        out += env;
      } else if (fallback) {
        out += *fallback;
      } else {
        error(n, "environment variable " + name + " is not set (write ${" + name +
                     ":-default} to give a default)");
        return false;
      }
      i = close + 1;
      continue;
    }
    out += in[i++];
  }
  return true;
}

std::optional<std::string> Loader::string_value(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    error(n, what + ": expected a string");
    return std::nullopt;
  }
  std::string out;
  if (!substitute_env(n, n.Scalar(), out)) return std::nullopt;
  return out;
}

std::optional<double> Loader::number_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  const char* begin = s->c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (s->empty() || end != begin + s->size() || !std::isfinite(v)) {
    error(n, what + ": expected a finite number, got \"" + *s + "\"");
    return std::nullopt;
  }
  return v;
}

std::optional<long long> Loader::integer_value(const YAML::Node& n, const std::string& what,
                                               long long lo, long long hi) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  const char* begin = s->c_str();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(begin, &end, 10);
  if (s->empty() || end != begin + s->size() || errno != 0 || v < lo || v > hi) {
    error(n, what + ": expected an integer from " + std::to_string(lo) + " to " +
                 std::to_string(hi) + ", got \"" + *s + "\"");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Loader::bool_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error(n, what + ": expected true or false, got \"" + *s + "\"");
  return std::nullopt;
}

std::optional<core::FieldPath> Loader::path_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  core::Result<core::FieldPath> path = core::parse_field_path(*s);
  if (!path) {
    error(n, what + ": " + path.error().message);
    return std::nullopt;
  }
  return path.value();
}

void Loader::load_source(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "source '" + name + "'";
  SourceConfig src;
  src.name = name;
  src.location = where(n);
  if (!n.IsMap() || !n["type"]) {
    error(n, what + ": expected a map with a 'type' (stdin, file or kafka)");
    return;
  }
  const std::optional<std::string> type = string_value(n["type"], what + " type");
  if (!type) return;
  if (*type == "stdin") {
    src.type = SourceConfig::Type::kStdin;
    check_keys(n, option_table("source: stdin"), what);
    for (const SourceConfig& other : cfg.sources) {
      if (other.type == SourceConfig::Type::kStdin) {
        error(n, what + ": only one stdin source is allowed ('" + other.name + "' is one)");
      }
    }
  } else if (*type == "file") {
    src.type = SourceConfig::Type::kFile;
    check_keys(n, option_table("source: file"), what);
    if (n["path"]) {
      if (auto p = string_value(n["path"], what + " path")) {
        if (p->empty()) error(n["path"], what + " path: must not be empty");
        src.path = *p;
      }
    }
    if (n["start_at"]) {
      if (auto s = string_value(n["start_at"], what + " start_at")) {
        if (*s == "end") {
          src.start_at_end = true;
        } else if (*s != "beginning") {
          error(n["start_at"], what + " start_at: expected beginning or end, got \"" + *s + "\"");
        }
      }
    }
    load_file_source_keys(n, what, src);
  } else if (*type == "kafka") {
    src.type = SourceConfig::Type::kKafka;
    check_keys(n, option_table("source: kafka"), what);
    load_kafka_source(n, what, src);
  } else {
    error(n["type"], what + ": unknown source type '" + *type + "'; expected stdin, file or kafka");
    return;
  }
  if (n["format"]) {
    if (auto f = string_value(n["format"], what + " format")) {
      if (*f == "cri") {
        src.format = ingest::EnvelopeFormat::kCri;
      } else if (*f == "docker") {
        src.format = ingest::EnvelopeFormat::kDocker;
      } else if (*f != "none") {
        error(n["format"], what + " format: expected none, cri or docker, got \"" + *f + "\"");
      }
    }
  }
  if (n["max_record_bytes"]) {
    if (auto v = integer_value(n["max_record_bytes"], what + " max_record_bytes", 16, 1LL << 30)) {
      src.max_record_bytes = static_cast<size_t>(*v);
    }
  }
  cfg.sources.push_back(std::move(src));
}

void Loader::load_kafka_source(const YAML::Node& n, const std::string& what, SourceConfig& src) {
  if (n["brokers"]) {
    if (auto s = string_value(n["brokers"], what + " brokers")) {
      if (s->empty()) error(n["brokers"], what + " brokers: must not be empty");
      src.brokers = *s;
    }
  }
  if (n["group"]) {
    if (auto s = string_value(n["group"], what + " group")) {
      if (s->empty()) error(n["group"], what + " group: must not be empty");
      src.group = *s;
    }
  }
  if (const YAML::Node t = n["topics"]) {
    if (t.IsScalar()) {
      if (auto s = string_value(t, what + " topics")) src.topics.push_back(*s);
    } else if (t.IsSequence() && t.size() > 0) {
      for (const YAML::Node& item : t) {
        if (auto s = string_value(item, what + " topics")) {
          if (s->empty()) error(item, what + " topics: a topic name must not be empty");
          src.topics.push_back(*s);
        }
      }
    } else {
      error(t, what + " topics: expected a non-empty list of topic names or ^regex patterns");
    }
    for (size_t i = 0; i < src.topics.size(); ++i) {
      const std::string& topic = src.topics[i];
      if (topic.size() > 1 && topic[0] == '^') {
        const std::string problem = ingest::check_topic_pattern(topic);
        if (!problem.empty()) error(t.IsSequence() ? t[i] : t, what + " topics: " + problem);
      }
    }
  }
  if (const YAML::Node props = n["librdkafka"]) {
    if (!props.IsMap()) {
      error(props, what + " librdkafka: expected a map of librdkafka property -> value");
    } else {
      for (auto it = props.begin(); it != props.end(); ++it) {
        const std::string key = it->first.Scalar();
        auto value = string_value(it->second, what + " librdkafka " + key);
        if (!value) continue;
        const std::string problem = ingest::check_kafka_property(key, *value);
        if (!problem.empty()) {
          error(it->first, what + " librdkafka: " + problem);
          continue;
        }
        src.librdkafka.emplace_back(key, *value);
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
      error(n["name"], what + ": already defined at line " + std::to_string(it->second.line));
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
  }
  if (n["value"]) {
    m.value = path_value(n["value"], what + " value");
  } else if (type_ok && m.type != core::MetricType::kCounter) {
    error(n,
          what + ": a " + std::string(core::metric_type_name(m.type)) + " needs a 'value' field");
  }
  if (n["scale"]) {
    if (auto v = number_value(n["scale"], what + " scale")) {
      if (*v == 0) error(n["scale"], what + " scale: must not be 0");
      m.scale = *v;
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
  p.metrics.push_back(std::move(m));
}

void Loader::load_pipeline(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "pipeline '" + name + "'";
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
  if (const YAML::Node parser = n["parser"]) {
    std::optional<std::string> type;
    if (parser.IsScalar()) {
      type = string_value(parser, what + " parser");
    } else if (parser.IsMap() && parser["type"]) {
      type = string_value(parser["type"], what + " parser type");
    } else {
      error(parser, what + " parser: expected a map with a 'type' (json)");
    }
    if (type) {
      if (*type == "json") {
        p.parser = parsers::ParserType::kJson;
        if (parser.IsMap()) check_keys(parser, option_table("parser: json"), what + " parser");
      } else {
        error(parser.IsMap() ? parser["type"] : parser,
              what + " parser: unknown parser type '" + *type + "'; expected json");
      }
    }
  }
  if (const YAML::Node metrics = n["metrics"]) {
    if (!metrics.IsSequence() || metrics.size() == 0) {
      error(metrics, what + " metrics: expected a non-empty list of metrics");
    } else {
      for (const YAML::Node& m : metrics) load_metric(m, name, p);
    }
  }
  cfg.pipelines.push_back(std::move(p));
}

void Loader::load_sink(const std::string& name, const YAML::Node& n, Config& cfg) {
  const std::string what = "sink '" + name + "'";
  if (!n.IsMap() || !n["type"]) {
    error(n, what + ": expected a map with a 'type' (prometheus_exporter)");
    return;
  }
  const std::optional<std::string> type = string_value(n["type"], what + " type");
  if (!type) return;
  if (*type != "prometheus_exporter") {
    error(n["type"], what + ": unknown sink type '" + *type + "'; expected prometheus_exporter");
    return;
  }
  check_keys(n, option_table("sink: prometheus_exporter"), what);
  SinkConfig sink;
  sink.name = name;
  sink.location = where(n);
  sink.listen = "0.0.0.0:9898";
  sink.path = "/metrics";
  if (n["listen"]) {
    if (auto s = string_value(n["listen"], what + " listen")) {
      const size_t colon = s->rfind(':');
      bool ok = colon != std::string::npos && colon > 0 && colon + 1 < s->size();
      if (ok) {
        const std::string port = s->substr(colon + 1);
        ok = port.find_first_not_of("0123456789") == std::string::npos && port.size() <= 5 &&
             std::stoi(port) >= 1 && std::stoi(port) <= 65535;
      }
      if (!ok) error(n["listen"], what + " listen: expected host:port, got \"" + *s + "\"");
      sink.listen = *s;
    }
  }
  if (n["path"]) {
    if (auto s = string_value(n["path"], what + " path")) {
      if (s->empty() || (*s)[0] != '/') error(n["path"], what + " path: must start with '/'");
      sink.path = *s;
    }
  }
  for (const SinkConfig& other : cfg.sinks) {
    if (other.listen == sink.listen) {
      error(n, what + ": listen address " + sink.listen + " is already used by sink '" +
                   other.name + "'");
    }
  }
  cfg.sinks.push_back(std::move(sink));
}

core::Result<Config> Loader::load(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    error_at({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return core::make_error(core::ErrorCode::kConfig, errors_.front());
  }
  Config cfg;
  cfg.file = file_;
  const unsigned cores = std::thread::hardware_concurrency();
  cfg.workers = cores == 0 ? 1 : cores;

  if (!root.IsMap()) {
    error_at({1, 1}, "expected a map with keys " + option_table("top level").key_list());
    return core::make_error(core::ErrorCode::kConfig, errors_.front());
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

  if (!errors_.empty()) {
    std::string all;
    for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
    return core::make_error(core::ErrorCode::kConfig, all);
  }
  return cfg;
}

std::optional<int> Loader::duration_millis(const YAML::Node& n, const std::string& what) {
  const std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  size_t digits = 0;
  while (digits < s->size() && std::isdigit(static_cast<unsigned char>((*s)[digits]))) ++digits;
  const std::string unit = s->substr(digits);
  long long scale = 0;
  if (unit == "ms") scale = 1;
  if (unit == "s") scale = 1000;
  if (unit == "m") scale = 60000;
  if (digits == 0 || digits > 9 || scale == 0) {
    error(n, what + ": expected a duration like 500ms, 5s or 1m, got \"" + *s + "\"");
    return std::nullopt;
  }
  const long long v = std::stoll(s->substr(0, digits)) * scale;
  if (v < 10 || v > 24LL * 3600 * 1000) {
    error(n, what + ": expected a duration between 10ms and 24h");
    return std::nullopt;
  }
  return static_cast<int>(v);
}

void Loader::load_file_source_keys(const YAML::Node& n, const std::string& what,
                                   SourceConfig& src) {
  auto globs = [&](const char* key, std::vector<std::string>& out) {
    const YAML::Node list = n[key];
    if (!list) return;
    if (list.IsScalar()) {
      if (auto v = string_value(list, what + " " + key)) out.push_back(*v);
      return;
    }
    if (!list.IsSequence()) {
      error(list, what + " " + key + ": expected a list of glob patterns");
      return;
    }
    for (const YAML::Node& item : list) {
      if (auto v = string_value(item, what + " " + key)) {
        if (v->empty()) {
          error(item, what + " " + key + ": a pattern must not be empty");
        } else {
          out.push_back(*v);
        }
      }
    }
  };
  globs("include", src.include);
  globs("exclude", src.exclude);
  if (src.path.empty() && src.include.empty()) {
    error(n, what + ": expected 'path' (one file) or 'include' (a list of globs)");
  }
  if (n["path_pattern"]) {
    if (auto p = string_value(n["path_pattern"], what + " path_pattern")) {
      RE2 re(*p, RE2::Quiet);
      if (!re.ok()) {
        error(n["path_pattern"], what + " path_pattern: invalid RE2 expression: " + re.error());
      } else if (re.NamedCapturingGroups().empty()) {
        error(n["path_pattern"],
              what + " path_pattern: expected named groups, e.g. (?P<pod>[^_]+)");
      } else {
        src.path_pattern = *p;
      }
    }
  }
  if (n["poll_interval"]) {
    if (auto ms = duration_millis(n["poll_interval"], what + " poll_interval")) {
      src.poll_millis = *ms;
    }
  }
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
}

}  // namespace

const std::vector<double>& default_buckets() {
  static const std::vector<double> buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,    2.5,   5,    10};
  return buckets;
}

std::string_view default_config_text() { return kDefaultConfig; }

core::Result<Config> load_config_text(std::string_view text, const std::string& file_name) {
  Loader loader(file_name);
  return loader.load(text);
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
