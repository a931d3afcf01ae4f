#include "config/reader.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "transforms/value_units.h"

namespace logtally::config {

Location Reader::where(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {0, 0};
  return {m.line + 1, m.column + 1};
}

void Reader::error(const YAML::Node& n, const std::string& message) { error_at(where(n), message); }

void Reader::error_at(Location loc, const std::string& message) {
  std::ostringstream line;
  line << file_ << ':' << loc.line << ':' << loc.column << ": " << message;
  errors_.push_back(line.str());
}

std::string Reader::all_errors() const {
  std::string all;
  for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
  return all;
}

bool Reader::check_keys(const YAML::Node& node, const OptionTable& table, const std::string& what) {
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

bool Reader::substitute_env(const YAML::Node& n, const std::string& in, std::string& out) {
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

std::optional<std::string> Reader::string_value(const YAML::Node& n, const std::string& what) {
  if (!n.IsScalar()) {
    error(n, what + ": expected a string");
    return std::nullopt;
  }
  std::string out;
  if (!substitute_env(n, n.Scalar(), out)) return std::nullopt;
  return out;
}

std::optional<double> Reader::number_value(const YAML::Node& n, const std::string& what) {
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

std::optional<long long> Reader::integer_value(const YAML::Node& n, const std::string& what,
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

std::optional<bool> Reader::bool_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  if (*s == "true") return true;
  if (*s == "false") return false;
  error(n, what + ": expected true or false, got \"" + *s + "\"");
  return std::nullopt;
}

std::optional<core::FieldPath> Reader::path_value(const YAML::Node& n, const std::string& what) {
  std::optional<std::string> s = string_value(n, what);
  if (!s) return std::nullopt;
  core::Result<core::FieldPath> path = core::parse_field_path(*s);
  if (!path) {
    error(n, what + ": " + path.error().message);
    return std::nullopt;
  }
  return path.value();
}

std::optional<std::chrono::milliseconds> Reader::duration_value(const YAML::Node& n,
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

std::optional<int> Reader::duration_millis(const YAML::Node& n, const std::string& what) {
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

std::vector<std::pair<std::string, std::string>> Reader::string_map(const YAML::Node& n,
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

std::vector<std::string> Reader::string_list(const YAML::Node& n, const std::string& what,
                                             std::string_view expected) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    if (auto v = string_value(n, what)) out.push_back(*v);
    return out;
  }
  if (!n.IsSequence()) {
    error(n, what + ": expected " + std::string(expected));
    return out;
  }
  for (const YAML::Node& item : n) {
    if (auto v = string_value(item, what)) out.push_back(*v);
  }
  return out;
}

bool Reader::check_regex(const YAML::Node& n, const std::string& pattern, const std::string& what) {
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(pattern, options);
  if (re.ok()) return true;
  error(n,
        what + ": invalid regular expression \"" + pattern + "\": " + re.error() + " (RE2 syntax)");
  return false;
}

std::string_view Reader::row_default(const OptionTable& table, std::string_view key) const {
  const Option* row = table.find(key);
  // A component asking for a row its own table lacks is a programming error: fail loudly.
  if (row == nullptr) std::abort();
  return row->default_value;
}

std::optional<std::string> Reader::string_option(const YAML::Node& map, const OptionTable& table,
                                                 std::string_view key, const std::string& what) {
  if (const YAML::Node n = map[std::string(key)]) return string_value(n, what);
  return std::string(row_default(table, key));
}

std::optional<std::chrono::milliseconds> Reader::duration_option(const YAML::Node& map,
                                                                 const OptionTable& table,
                                                                 std::string_view key,
                                                                 const std::string& what) {
  if (const YAML::Node n = map[std::string(key)]) return duration_value(n, what);
  const std::optional<std::chrono::milliseconds> d = parse_duration(row_default(table, key));
  if (!d) std::abort();  // The row's default is not a duration: a bug in the table.
  return d;
}

std::optional<long long> Reader::integer_option(const YAML::Node& map, const OptionTable& table,
                                                std::string_view key, const std::string& what,
                                                long long lo, long long hi) {
  if (const YAML::Node n = map[std::string(key)]) return integer_value(n, what, lo, hi);
  const std::string_view text = row_default(table, key);
  char* end = nullptr;
  const std::string copy(text);
  const long long v = std::strtoll(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0') std::abort();  // Not an integer: a bug in the table.
  return v;
}

std::optional<bool> Reader::bool_option(const YAML::Node& map, const OptionTable& table,
                                        std::string_view key, const std::string& what) {
  if (const YAML::Node n = map[std::string(key)]) return bool_value(n, what);
  const std::string_view text = row_default(table, key);
  if (text != "true" && text != "false") std::abort();  // A bug in the table.
  return text == "true";
}

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

bool valid_host_port(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  const std::string_view port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  const int p = std::atoi(std::string(port).c_str());
  return p >= 1 && p <= 65535;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty() || text.front() == '-' || text.front() == '+' ||
      !std::isalpha(static_cast<unsigned char>(text.back()))) {
    return std::nullopt;  // No sign, and a unit at the end: a bare "15" is not a duration here.
  }
  double seconds = 0;
  if (!transforms::parse_duration(text, seconds) || !(seconds >= 0) || seconds > 1e9) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(std::llround(seconds * 1e3));
}

}  // namespace logtally::config
