// Reader: the YAML machinery every component's config loader uses: node access with `${VAR}`
// substitution, typed values, option-table key checks, defaults taken from the option rows, and
// error collection at FILE:LINE:COLUMN.
//
// Contract:
// - A Reader belongs to one load (one thread). Nothing throws out of it: yaml-cpp is asked only
//   for what a node already is (IsMap(), Scalar(), ...), never to convert.
// - Every value function reports its own error (`WHAT: expected ..., got "..."`) at the node and
//   returns nullopt; callers only decide what to do without the value. `what` names the place
//   for the user: "source 'app' path", "sink 'prom' listen".
// - Components read their own keys with it (ingest/*, parsers/*, sinks/*); config/config.cpp
//   reads the top level, pipelines, metrics and labels.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/options.h"
#include "core/record.h"

namespace YAML {
class Node;
}

namespace logtally::config {

struct Location {
  int line = 0;    ///< 1-based.
  int column = 0;  ///< 1-based.
};

class Reader {
 public:
  /// `file` prefixes every message; `text` is the document (for columns inside scalars).
  Reader(std::string file, std::string_view text) : file_(std::move(file)), text_(text) {}

  const std::string& file() const noexcept { return file_; }
  std::string_view text() const noexcept { return text_; }
  Location where(const YAML::Node& n) const;
  void error(const YAML::Node& n, const std::string& message);
  void error_at(Location loc, const std::string& message);
  const std::vector<std::string>& errors() const noexcept { return errors_; }
  /// Every message so far, one per line.
  std::string all_errors() const;

  /// Checks that `node` is a map whose keys all appear in `table`; reports unknown, duplicate
  /// and missing required keys. Returns false (after reporting) if `node` is not a map.
  bool check_keys(const YAML::Node& node, const OptionTable& table, const std::string& what);

  std::optional<std::string> string_value(const YAML::Node& n, const std::string& what);
  std::optional<double> number_value(const YAML::Node& n, const std::string& what);
  std::optional<long long> integer_value(const YAML::Node& n, const std::string& what, long long lo,
                                         long long hi);
  std::optional<bool> bool_value(const YAML::Node& n, const std::string& what);
  std::optional<core::FieldPath> path_value(const YAML::Node& n, const std::string& what);
  /// A positive duration ("500ms", "15s", "1.5m", "2h").
  std::optional<std::chrono::milliseconds> duration_value(const YAML::Node& n,
                                                          const std::string& what);
  /// A duration from 10ms to 24h, in milliseconds (poll and checkpoint intervals).
  std::optional<int> duration_millis(const YAML::Node& n, const std::string& what);
  /// A map of name -> string, sorted by name; with `label_names`, names must be label names
  /// not starting with `__`.
  std::vector<std::pair<std::string, std::string>> string_map(const YAML::Node& n,
                                                              const std::string& what,
                                                              bool label_names);
  /// One string or a list of them; `item` names what each one is in messages ("a pattern").
  /// Empty strings are reported. An empty or missing list is left to the caller.
  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what,
                                       std::string_view expected);
  /// Compiles `pattern` with RE2 and reports its error at `n`.
  bool check_regex(const YAML::Node& n, const std::string& pattern, const std::string& what);

  // Values with the default of their option row: `map[key]` when present, else the row's
  // `default_value` read with the same grammar (so the documented default is the default).
  // The row must exist in `table` and have a literal default.
  std::optional<std::string> string_option(const YAML::Node& map, const OptionTable& table,
                                           std::string_view key, const std::string& what);
  std::optional<std::chrono::milliseconds> duration_option(const YAML::Node& map,
                                                           const OptionTable& table,
                                                           std::string_view key,
                                                           const std::string& what);
  std::optional<long long> integer_option(const YAML::Node& map, const OptionTable& table,
                                          std::string_view key, const std::string& what,
                                          long long lo, long long hi);
  std::optional<bool> bool_option(const YAML::Node& map, const OptionTable& table,
                                  std::string_view key, const std::string& what);

 private:
  bool substitute_env(const YAML::Node& n, const std::string& in, std::string& out);
  std::string_view row_default(const OptionTable& table, std::string_view key) const;

  std::string file_;
  std::string_view text_;
  std::vector<std::string> errors_;
};

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
bool valid_metric_name(std::string_view s);
/// `[a-zA-Z_][a-zA-Z0-9_]*`
bool valid_label_name(std::string_view s);
/// `host:port` with a port from 1 to 65535 and a non-empty host.
bool valid_host_port(std::string_view s);

/// A duration as written in the config (intervals, expire_after): the grammar of a metric's
/// `unit: duration` values (transforms/value_units.h: "500ms", "15s", "1.5m", "1h30m", "2d"),
/// except that a config duration always ends in a unit and has no sign. Rounded to
/// milliseconds; nullopt if malformed or beyond about 30 years.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace logtally::config
