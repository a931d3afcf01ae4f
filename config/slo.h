// Service level objectives (`slos:`): what the config says of them, validated against the
// config's own metrics and labels, before `logtally rules` and `logtally dashboard` turn them
// into Prometheus rules and a Grafana dashboard (monitoring/, docs/slos.md).
//
// Contract: load_slos() runs once per config load, after the pipelines (it checks each selector
// against their metrics); it reports every problem through the Reader at FILE:LINE:COLUMN,
// pointing inside a selector's text at the character that is wrong. Nothing here runs while
// logtally counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/reader.h"

namespace YAML {
class Node;
}

namespace logtally::config {

struct Config;

/// A label matcher's operator, as PromQL writes it.
enum class MatchOp : uint8_t {
  kEqual,     ///< `=`
  kNotEqual,  ///< `!=`
  kRegex,     ///< `=~` (RE2, anchored at both ends as Prometheus does)
  kNotRegex,  ///< `!~`
};
std::string_view match_op_text(MatchOp op);

struct LabelMatcher {
  std::string name;
  MatchOp op = MatchOp::kEqual;
  std::string value;  ///< Unescaped.
};

/// `metric{label="v", code=~"5.."}`: a PromQL instant vector selector with a metric name.
struct Selector {
  std::string metric;
  std::vector<LabelMatcher> matchers;
};

/// Where a selector's text went wrong: a 1-based column inside the text and what was expected.
struct SelectorError {
  int column = 0;
  std::string message;
};

/// Parses a selector: a metric name, optionally followed by `{` matchers `}`; matchers are
/// `label op "value"` (single or double quotes, with PromQL's backslash escapes), separated by
/// commas (a trailing comma is accepted); spaces are allowed between tokens. Returns nullopt and
/// fills `error` when the text is not one.
std::optional<Selector> parse_selector(std::string_view text, SelectorError& error);

/// `text` as a PromQL double-quoted string literal: `\`, `"` and control characters escaped.
std::string promql_string(std::string_view text);
/// The selector as PromQL text, matchers in the order written, each value re-escaped:
/// `metric{a="x",b=~"5.."}`; `extra` matchers are appended (e.g. a histogram bucket's `le`).
std::string to_promql(const Selector& s, const std::vector<LabelMatcher>& extra = {});

struct SloConfig {
  std::string name;
  double objective = 0;        ///< Percent, 0 < objective < 100.
  std::string objective_text;  ///< As written (for messages and annotations).
  int64_t window_ms = 0;       ///< The compliance window (`window:`, default 30d).
  /// True: `histogram` + `good_le` (a latency objective); false: `total` + `errors`.
  bool latency = false;
  Selector total;      ///< Availability: every event.
  Selector errors;     ///< Availability: the bad events.
  Selector histogram;  ///< Latency: the histogram (its base name), without `le`.
  double good_le = 0;  ///< Latency: the bucket bound a good event is at or under.
  Location location;
};

/// A duration as PromQL writes it, largest units first: 30d, 1h30m, 90s -> 1m30s, 250ms.
std::string promql_duration(int64_t ms);

/// Reads the `slos:` list into `cfg.slos`, checking each against `cfg.pipelines`' metrics.
void load_slos(Reader& reader, const YAML::Node& list, Config& cfg);

/// What `logtally check` prints of the SLOs (nothing without any).
std::string describe_slos(const std::vector<SloConfig>& slos);

}  // namespace logtally::config
