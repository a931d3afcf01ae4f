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
#include "ingest/kafka_source.h"
#include "parsers/regex_parser.h"
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

// The parser types a pipeline may name, for "expected ..." messages.
constexpr std::string_view kParserTypes = "json, logfmt, regex or auto";

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
  // Regex parser: patterns compiled at load, metric fields checked against group names.
  void load_regex_parser(const YAML::Node& n, const std::string& what, PipelineConfig& p);
  void check_regex_fields(const std::string& what, const PipelineConfig& p);
  // Transforms (docs/transforms.md).
  std::optional<std::string> expression_value(const YAML::Node& n, const std::string& what);
  bool check_regex(const YAML::Node& n, const std::string& pattern, const std::string& what);
  void load_label_rules(const YAML::Node& n, const std::string& what, LabelConfig& label);
  void load_metric_limits(const YAML::Node& n, const std::string& what, MetricConfig& m);
  void check_shared_metrics(const Config& cfg);
  void load_file_source_keys(const YAML::Node& n, const std::string& what, SourceConfig& src);
  void load_checkpoint(const YAML::Node& n, Config& cfg);
  std::optional<int> duration_millis(const YAML::Node& n, const std::string& what);
  // A positive duration ("500ms", "15s", "1.5m", "2h"); reports the error and returns nullopt.
  std::optional<std::chrono::milliseconds> duration_value(const YAML::Node& n,
                                                          const std::string& what);
  std::vector<std::pair<std::string, std::string>> string_map(const YAML::Node& n,
                                                              const std::string& what,
                                                              bool label_names);

  std::string_view text_;
  std::string file_;
  std::vector<std::vector<std::string>> regex_groups_;  ///< Per pattern of the current pipeline.
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
  Location loc = where(n);
  const int column = transforms::error_column(f.error());
  // The first character of the scalar in the file.
  size_t line_start = 0;
  for (int l = 1; l < loc.line && line_start != std::string_view::npos; ++l) {
    line_start = text_.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  char first = '\0';
  if (line_start != std::string_view::npos && line_start + loc.column - 1 < text_.size()) {
    first = text_[line_start + loc.column - 1];
  }
  if (first == '|' || first == '>') {
    // A block scalar: its text starts on the next line, after the indentation.
    size_t next = text_.find('\n', line_start);
    if (next != std::string_view::npos) {
      ++next;
      size_t indent = 0;
      while (next + indent < text_.size() && text_[next + indent] == ' ') ++indent;
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

bool Loader::check_regex(const YAML::Node& n, const std::string& pattern, const std::string& what) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);
  if (re.ok()) return true;
  error(n,
        what + ": invalid regular expression \"" + pattern + "\": " + re.error() + " (RE2 syntax)");
  return false;
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
      if (f.type != m.type || f.mode != m.mode || f.buckets != m.buckets || fl != ml) {
        error_at(m.location, what +
                                 ": a shared metric needs the same type, mode, buckets and "
                                 "label names in the same order in every entry" +
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
      error(parser,
            what + " parser: expected a map with a 'type' (" + std::string(kParserTypes) + ")");
    }
    if (type) {
      if (*type == "json") {
        p.parser = parsers::ParserType::kJson;
        if (parser.IsMap()) check_keys(parser, option_table("parser: json"), what + " parser");
      } else if (*type == "regex") {
        p.parser = parsers::ParserType::kRegex;
        load_regex_parser(parser, what, p);
      } else if (*type == "logfmt") {
        p.parser = parsers::ParserType::kLogfmt;
        if (parser.IsMap()) check_keys(parser, option_table("parser: logfmt"), what + " parser");
      } else if (*type == "auto") {
        p.parser = parsers::ParserType::kAuto;
        if (parser.IsMap()) check_keys(parser, option_table("parser: auto"), what + " parser");
      } else {
        error(parser.IsMap() ? parser["type"] : parser, what + " parser: unknown parser type '" +
                                                            *type + "'; expected " +
                                                            std::string(kParserTypes));
      }
    }
  }
  if (n["filter"]) {
    if (auto e = expression_value(n["filter"], what + " filter")) p.filter = *e;
  }
  if (const YAML::Node metrics = n["metrics"]) {
    if (!metrics.IsSequence() || metrics.size() == 0) {
      error(metrics, what + " metrics: expected a non-empty list of metrics");
    } else {
      for (const YAML::Node& m : metrics) load_metric(m, name, p);
    }
  }
  if (p.parser == parsers::ParserType::kRegex) check_regex_fields(what, p);
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
  Reader reader(file_, text_);
  reader.check_keys(n, *entry->tables[0], what);
  std::shared_ptr<const sinks::SinkSpec> spec = entry->load(reader, n, what);
  errors_.insert(errors_.end(), reader.errors().begin(), reader.errors().end());
  if (spec == nullptr) return;
  for (const SinkConfig& other : cfg.sinks) {
    const std::string conflict = spec->conflict_with(*other.spec, other.name);
    if (!conflict.empty()) error(n, what + ": " + conflict);
  }
  cfg.sinks.push_back({name, *type, where(n), std::move(spec)});
}

// Parser sections other than json. The regex patterns are compiled here, so that a bad one is
// reported at its own line and column with RE2's message, before anything runs.
void Loader::load_regex_parser(const YAML::Node& n, const std::string& what, PipelineConfig& p) {
  regex_groups_.clear();
  if (!n.IsMap()) {
    error(n, what + " parser: regex needs a map with 'type: regex' and 'patterns'");
    return;
  }
  if (!check_keys(n, option_table("parser: regex"), what + " parser")) return;
  const YAML::Node list = n["patterns"];
  if (!list) return;  // Reported by check_keys.
  std::vector<YAML::Node> nodes;
  if (list.IsSequence() && list.size() > 0) {
    for (const YAML::Node& item : list) nodes.push_back(item);
  } else {
    error(list, what + " parser patterns: expected a non-empty list of RE2 patterns");
    return;
  }
  std::vector<std::string> texts;
  for (const YAML::Node& item : nodes) {
    std::optional<std::string> s = string_value(item, what + " parser pattern");
    texts.push_back(s ? *s : std::string());
  }
  const std::vector<parsers::PatternInfo> infos = parsers::inspect_patterns(texts);
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!infos[i].error.empty()) {
      error(nodes[i], what + " parser pattern " + std::to_string(i + 1) +
                          ": invalid regular expression (RE2): " + infos[i].error);
    }
    regex_groups_.push_back(infos[i].groups);
  }
  p.parser_options.patterns = std::move(texts);
}

// With the regex parser a field is a named group: every field a metric reads must be a group
// of at least one pattern (otherwise it could never be present, which is surely a typo).
void Loader::check_regex_fields(const std::string& what, const PipelineConfig& p) {
  if (regex_groups_.empty()) return;  // The parser section itself was wrong.
  std::set<std::string> groups;
  for (const auto& pattern_groups : regex_groups_)
    groups.insert(pattern_groups.begin(), pattern_groups.end());
  std::string known;
  for (const std::string& g : groups) known += (known.empty() ? "" : ", ") + g;
  if (known.empty()) known = "(none)";
  auto check = [&](const MetricConfig& m, const core::FieldPath& path, const std::string& use) {
    if (path.segments.size() != 1) {
      error_at(m.location, "metric '" + m.name + "' " + use + ": '" + path.to_string() +
                               "' is a nested path, but regex fields are named groups; " +
                               "groups of pipeline '" + p.name + "' are: " + known);
    } else if (!groups.count(path.segments[0])) {
      error_at(m.location, "metric '" + m.name + "' " + use + ": no pattern of " + what +
                               " has a group named '" + path.segments[0] +
                               "'; groups are: " + known);
    }
  };
  for (const MetricConfig& m : p.metrics) {
    if (m.value) check(m, *m.value, "value");
    if (m.subtract) check(m, *m.subtract, "subtract");
    for (const LabelConfig& l : m.labels) {
      for (const core::FieldPath& f : l.fields) check(m, f, "label '" + l.name + "'");
    }
  }
}

std::optional<std::chrono::milliseconds> Loader::duration_value(const YAML::Node& n,
                                                                const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  std::optional<std::chrono::milliseconds> d = parse_duration(*s);
  if (!d) {
    error(n, what + ": expected a duration like 500ms, 15s, 1m or 2h, got \"" + *s + "\"");
  } else if (d->count() <= 0) {
    error(n, what + ": must be more than 0");
    return std::nullopt;
  }
  return d;
}

std::vector<std::pair<std::string, std::string>> Loader::string_map(const YAML::Node& n,
                                                                    const std::string& what,
                                                                    bool label_names) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!n.IsMap()) {
    error(n, what + ": expected a map of name -> string");
    return out;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (label_names && (!valid_label_name(key) || key.rfind("__", 0) == 0)) {
      error(it->first, what + ": invalid label name '" + key +
                           "'; expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
      continue;
    }
    if (auto v = string_value(it->second, what + " " + key)) out.emplace_back(key, *v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

core::Result<Config> Loader::load(std::string_view text) {
  text_ = text;
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
  const std::optional<std::chrono::milliseconds> d = parse_duration(*s);
  if (!d) {
    error(n, what + ": expected a duration like 500ms, 5s or 1m, got \"" + *s + "\"");
    return std::nullopt;
  }
  if (d->count() < 10 || d->count() > 24LL * 3600 * 1000) {
    error(n, what + ": expected a duration between 10ms and 24h");
    return std::nullopt;
  }
  return static_cast<int>(d->count());
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
