#include "config/slo.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "config/config.h"
#include "config/options.h"
#include "core/utf8.h"

namespace logtally::config {

std::string_view match_op_text(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "=";
    case MatchOp::kNotEqual:
      return "!=";
    case MatchOp::kRegex:
      return "=~";
    case MatchOp::kNotRegex:
      return "!~";
  }
  return "=";
}

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A hand-written scanner over the selector text; `pos` is 0-based, columns are pos + 1.
class SelectorParser {
 public:
  SelectorParser(std::string_view text, SelectorError& error) : text_(text), error_(error) {}

  std::optional<Selector> parse() {
    Selector s;
    skip_spaces();
    if (!name(s.metric, true)) return fail("expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    skip_spaces();
    if (at_end()) return s;
    if (text_[pos_] != '{') return fail("expected '{' or the end after the metric name");
    ++pos_;
    skip_spaces();
    while (!at_end() && text_[pos_] != '}') {
      LabelMatcher m;
      if (!name(m.name, false))
        return fail("expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) or '}'");
      skip_spaces();
      if (!op(m.op)) return fail("expected =, !=, =~ or !~ after label '" + m.name + "'");
      skip_spaces();
      if (!string(m.value)) return std::nullopt;
      s.matchers.push_back(std::move(m));
      skip_spaces();
      if (at_end()) break;
      if (text_[pos_] == ',') {
        ++pos_;
        skip_spaces();
      } else if (text_[pos_] != '}') {
        return fail("expected ',' or '}' after a matcher");
      }
    }
    if (at_end()) return fail("expected '}' to close the matchers");
    ++pos_;
    skip_spaces();
    if (!at_end()) return fail("unexpected text after '}'");
    return s;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_spaces() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }
  std::nullopt_t fail(std::string message, size_t at = std::string_view::npos) {
    error_.column = static_cast<int>((at == std::string_view::npos ? pos_ : at) + 1);
    error_.message = std::move(message);
    return std::nullopt;
  }
  bool name(std::string& out, bool metric) {
    if (at_end() || !name_start(text_[pos_]) || (!metric && text_[pos_] == ':')) return false;
    const size_t start = pos_;
    while (!at_end() && name_char(text_[pos_]) && (metric || text_[pos_] != ':')) ++pos_;
    out = std::string(text_.substr(start, pos_ - start));
    return true;
  }
  bool op(MatchOp& out) {
    const std::string_view rest = text_.substr(pos_);
    if (rest.rfind("=~", 0) == 0) {
      out = MatchOp::kRegex;
    } else if (rest.rfind("!~", 0) == 0) {
      out = MatchOp::kNotRegex;
    } else if (rest.rfind("!=", 0) == 0) {
      out = MatchOp::kNotEqual;
    } else if (!rest.empty() && rest.front() == '=') {
      out = MatchOp::kEqual;
      ++pos_;
      return true;
    } else {
      return false;
    }
    pos_ += 2;
    return true;
  }
  // A PromQL string: "..." or '...' with Go's escapes, or `...` taken as written.
  bool string(std::string& out) {
    if (at_end() || (text_[pos_] != '"' && text_[pos_] != '\'' && text_[pos_] != '`')) {
      fail("expected a quoted label value (\"...\")");
      return false;
    }
    const char quote = text_[pos_];
    const size_t open = pos_++;
    while (!at_end() && text_[pos_] != quote) {
      const char c = text_[pos_];
      if (quote == '`' || c != '\\') {
        if (quote != '`' && c == '\n') break;
        out += c;
        ++pos_;
        continue;
      }
      if (!escape(out, quote)) return false;
    }
    if (at_end() || text_[pos_] != quote) {
      fail(std::string("unterminated label value (no closing ") + quote + ")", open);
      return false;
    }
    ++pos_;
    return true;
  }
  bool escape(std::string& out, char quote) {
    const size_t at = pos_;
    if (pos_ + 1 >= text_.size()) {
      fail("unterminated escape sequence", at);
      return false;
    }
    const char e = text_[pos_ + 1];
    pos_ += 2;
    switch (e) {
      case 'a':
        out += '\a';
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'v':
        out += '\v';
        return true;
      case '\\':
        out += '\\';
        return true;
      case 'x':
      case 'u':
      case 'U': {
        const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (size_t i = 0; i < digits; ++i) {
          const int d = pos_ < text_.size() ? hex_digit(text_[pos_]) : -1;
          if (d < 0) {
            fail(std::string("expected ") + std::to_string(digits) + " hex digits after \\" + e,
                 at);
            return false;
          }
          v = v * 16 + static_cast<uint32_t>(d);
          ++pos_;
        }
        if (e == 'x') {
          out += static_cast<char>(v);
        } else if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
          fail("escape is not a valid Unicode code point", at);
          return false;
        } else {
          append_utf8(out, v);
        }
        return true;
      }
      default:
        if (e == quote) {
          out += e;
          return true;
        }
        fail(std::string("unknown escape sequence \\") + e, at);
        return false;
    }
  }

  std::string_view text_;
  SelectorError& error_;
  size_t pos_ = 0;
};

// The first character of a scalar's text in the file: its node's position, one further for a
// quoted scalar, the next line's indentation for a block scalar. (Escapes in a double-quoted
// scalar shift later columns, as for filter expressions.)
Location scalar_start(const Reader& reader, const YAML::Node& n) {
  const std::string_view text = reader.text();
  Location loc = reader.where(n);
  size_t line_start = 0;
  for (int l = 1; l < loc.line && line_start != std::string_view::npos; ++l) {
    line_start = text.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  if (line_start == std::string_view::npos || loc.column < 1 ||
      line_start + loc.column - 1 >= text.size()) {
    return loc;
  }
  const char first = text[line_start + loc.column - 1];
  if (first == '"' || first == '\'') {
    loc.column += 1;
  } else if (first == '|' || first == '>') {
    size_t next = text.find('\n', line_start);
    if (next != std::string_view::npos) {
      ++next;
      size_t indent = 0;
      while (next + indent < text.size() && text[next + indent] == ' ') ++indent;
      loc = {loc.line + 1, static_cast<int>(indent) + 1};
    }
  }
  return loc;
}

const MetricConfig* find_metric(const Config& cfg, std::string_view name) {
  for (const PipelineConfig& p : cfg.pipelines) {
    for (const MetricConfig& m : p.metrics) {
      if (m.name == name) return &m;
    }
  }
  return nullptr;
}

std::string names_of_type(const Config& cfg, core::MetricType type, std::string_view suffix) {
  std::set<std::string> names;
  for (const PipelineConfig& p : cfg.pipelines) {
    for (const MetricConfig& m : p.metrics) {
      if (m.type == type) names.insert(m.name + std::string(suffix));
    }
  }
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

// The shortest text that reads back as `v`; whole numbers without an exponent.
std::string format_number(double v) {
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

class SloLoader {
 public:
  SloLoader(Reader& reader, Config& cfg) : r_(reader), cfg_(cfg) {}

  void load(const YAML::Node& list) {
    if (!list.IsSequence()) {
      r_.error(list, "slos: expected a list of SLOs (maps with name, objective, ...)");
      return;
    }
    std::set<std::string> names;
    for (const YAML::Node& n : list) load_one(n, names);
  }

 private:
  enum class Use { kCounter, kHistogram };

  void load_one(const YAML::Node& n, std::set<std::string>& names) {
    const OptionTable& table = option_table("slo");
    std::string what = "slo";
    if (n.IsMap() && n["name"] && n["name"].IsScalar()) what = "slo '" + n["name"].Scalar() + "'";
    if (!r_.check_keys(n, table, what)) return;
    SloConfig slo;
    slo.location = r_.where(n);
    bool ok = true;
    if (n["name"]) {
      if (auto s = r_.string_value(n["name"], what + " name")) {
        slo.name = *s;
        if (!valid_label_name(slo.name) || slo.name.rfind("__", 0) == 0) {
          r_.error(n["name"], what +
                                  " name: expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __ "
                                  "(it names rules and is the value of their slo label)");
          ok = false;
        } else if (!names.insert(slo.name).second) {
          r_.error(n["name"], what + ": another SLO has this name");
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    if (n["objective"]) {
      if (auto v = r_.number_value(n["objective"], what + " objective")) {
        if (!(*v > 0 && *v < 100)) {
          r_.error(n["objective"], what +
                                       " objective: expected a percentage above 0 and below "
                                       "100 (99.9 means 99.9% of events are good), got " +
                                       n["objective"].Scalar());
          ok = false;
        } else {
          slo.objective = *v;
          slo.objective_text = format_number(*v);
        }
      } else {
        ok = false;
      }
    }
    if (auto w = r_.duration_option(n, table, "window", what + " window")) {
      slo.window_ms = w->count();
    } else {
      ok = false;
    }
    const bool ratio = n["total"] || n["errors"];
    const bool latency = n["histogram"] || n["good_le"];
    if (ratio == latency) {
      r_.error(n, what +
                      ": expected either 'total' and 'errors' (an availability SLO) or "
                      "'histogram' and 'good_le' (a latency SLO)");
      return;
    }
    slo.latency = latency;
    if (ratio) {
      for (const char* key : {"total", "errors"}) {
        if (!n[key]) {
          r_.error(n,
                   what + ": missing '" + key + "' (an availability SLO needs total and errors)");
          ok = false;
        }
      }
      if (n["total"]) ok = selector(n["total"], what + " total", Use::kCounter, slo.total) && ok;
      if (n["errors"])
        ok = selector(n["errors"], what + " errors", Use::kCounter, slo.errors) && ok;
    } else {
      for (const char* key : {"histogram", "good_le"}) {
        if (!n[key]) {
          r_.error(n, what + ": missing '" + key + "' (a latency SLO needs histogram and good_le)");
          ok = false;
        }
      }
      const MetricConfig* h = nullptr;
      if (n["histogram"]) {
        ok = selector(n["histogram"], what + " histogram", Use::kHistogram, slo.histogram) && ok;
        h = find_metric(cfg_, slo.histogram.metric);
        if (h != nullptr && h->type != core::MetricType::kHistogram) h = nullptr;
      }
      if (n["good_le"]) {
        if (auto v = r_.number_value(n["good_le"], what + " good_le")) {
          slo.good_le = *v;
          if (h != nullptr) ok = check_bucket(n["good_le"], what, *h, *v) && ok;
        } else {
          ok = false;
        }
      }
    }
    if (ok) cfg_.slos.push_back(std::move(slo));
  }

  bool check_bucket(const YAML::Node& n, const std::string& what, const MetricConfig& h, double v) {
    for (double b : h.buckets) {
      if (b == v) return true;
    }
    std::string list;
    for (double b : h.buckets) list += (list.empty() ? "" : ", ") + format_number(b);
    r_.error(n, what + " good_le: " + n.Scalar() + " is not a bucket of histogram '" + h.name +
                    "'; its buckets are " + list);
    return false;
  }

  // Parses and checks one selector: its metric must be in the config (a counter or a
  // histogram's NAME_count for total/errors, a histogram for `histogram`), every label one of
  // that metric's, every regex valid RE2.
  bool selector(const YAML::Node& n, const std::string& what, Use use, Selector& out) {
    const std::optional<std::string> text = r_.string_value(n, what);
    if (!text) return false;
    const Location start = scalar_start(r_, n);
    auto at = [&](int column) { return Location{start.line, start.column + column - 1}; };
    SelectorError err;
    std::optional<Selector> s = parse_selector(*text, err);
    if (!s) {
      r_.error_at(at(err.column), what + ": " + err.message + " (in \"" + *text + "\", column " +
                                      std::to_string(err.column) + ")");
      return false;
    }
    // Columns of the metric name and of each matcher, found again in the text.
    const size_t name_at = text->find(s->metric);
    const MetricConfig* m = find_metric(cfg_, s->metric);
    std::string problem;
    if (use == Use::kCounter) {
      const std::string suffix = "_count";
      if (m == nullptr && s->metric.size() > suffix.size() &&
          s->metric.compare(s->metric.size() - suffix.size(), suffix.size(), suffix) == 0) {
        const MetricConfig* base =
            find_metric(cfg_, std::string_view(s->metric).substr(0, s->metric.size() - 6));
        if (base != nullptr && base->type == core::MetricType::kHistogram) m = base;
      }
      if (m == nullptr) {
        problem = "no counter named '" + s->metric + "' in the config; counters are " +
                  names_of_type(cfg_, core::MetricType::kCounter, "") + ", histogram counts are " +
                  names_of_type(cfg_, core::MetricType::kHistogram, "_count");
      } else if (m->type == core::MetricType::kGauge) {
        problem = "'" + s->metric +
                  "' is a gauge; total and errors count events: name a counter or a "
                  "histogram's NAME_count";
      } else if (m->type == core::MetricType::kHistogram && m->name == s->metric) {
        problem =
            "'" + s->metric + "' is a histogram; count its events with " + s->metric + "_count";
      }
    } else {
      if (m == nullptr || m->type != core::MetricType::kHistogram) {
        problem = (m == nullptr ? "no histogram named '" + s->metric + "' in the config"
                                : "'" + s->metric + "' is not a histogram") +
                  "; histograms are " + names_of_type(cfg_, core::MetricType::kHistogram, "");
      }
    }
    if (!problem.empty()) {
      r_.error_at(at(static_cast<int>(name_at == std::string::npos ? 0 : name_at) + 1),
                  what + ": " + problem);
      return false;
    }
    // The metric is known: keep the selector even if a matcher is wrong below, so that what
    // depends on the metric (good_le) is still checked.
    out = *s;
    bool ok = true;
    size_t search_from = name_at == std::string::npos ? 0 : name_at + s->metric.size();
    for (const LabelMatcher& lm : s->matchers) {
      size_t col = text->find(lm.name, search_from);
      if (col == std::string::npos) col = 0;
      search_from = col + lm.name.size();
      bool known = false;
      std::string labels;
      for (const LabelConfig& l : m->labels) {
        known = known || l.name == lm.name;
        labels += (labels.empty() ? "" : ", ") + l.name;
      }
      if (lm.name == "le" && use == Use::kHistogram) {
        r_.error_at(at(static_cast<int>(col) + 1),
                    what + ": leave 'le' out: good_le says which bucket is good");
        ok = false;
      } else if (!known) {
        r_.error_at(at(static_cast<int>(col) + 1),
                    what + ": metric '" + m->name + "' has no label '" + lm.name +
                        "'; its labels are " + (labels.empty() ? "(none)" : labels));
        ok = false;
      } else if (lm.op == MatchOp::kRegex || lm.op == MatchOp::kNotRegex) {
        RE2::Options options;
        options.set_log_errors(false);
        const RE2 re(lm.value, options);
        if (!re.ok()) {
          r_.error_at(at(static_cast<int>(col) + 1),
                      what + ": label '" + lm.name + "': invalid regex: " + re.error());
          ok = false;
        }
      }
    }
    return ok;
  }

  Reader& r_;
  Config& cfg_;
};

}  // namespace

std::optional<Selector> parse_selector(std::string_view text, SelectorError& error) {
  return SelectorParser(text, error).parse();
}

std::string promql_string(std::string_view text) {
  // Bytes of invalid UTF-8 are written as \xHH, which PromQL reads back as those bytes (and
  // which keeps a rules file or dashboard that holds the string valid UTF-8).
  const bool escape_high = !core::is_valid_utf8(text);
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7F || (escape_high && u >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string to_promql(const Selector& s, const std::vector<LabelMatcher>& extra) {
  std::string out = s.metric;
  if (s.matchers.empty() && extra.empty()) return out;
  out += '{';
  bool first = true;
  for (const std::vector<LabelMatcher>* list : {&s.matchers, &extra}) {
    for (const LabelMatcher& m : *list) {
      if (!first) out += ", ";
      first = false;
      out += m.name;
      out += match_op_text(m.op);
      out += promql_string(m.value);
    }
  }
  out += '}';
  return out;
}

std::string promql_duration(int64_t ms) {
  if (ms <= 0) return "0s";
  std::string out;
  constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  for (const auto& [size, unit] : kUnits) {
    if (ms >= size) {
      out += std::to_string(ms / size) + unit;
      ms %= size;
    }
  }
  return out;
}

void load_slos(Reader& reader, const YAML::Node& list, Config& cfg) {
  SloLoader(reader, cfg).load(list);
}

std::string describe_slos(const std::vector<SloConfig>& slos) {
  if (slos.empty()) return "";
  std::ostringstream out;
  out << "slos:\n";
  for (const SloConfig& s : slos) {
    out << "  " << s.name << ": " << s.objective_text << "% over " << promql_duration(s.window_ms)
        << ", ";
    if (s.latency) {
      out << "latency: " << to_promql(s.histogram) << " at or under le "
          << format_number(s.good_le);
    } else {
      out << "errors " << to_promql(s.errors) << " of " << to_promql(s.total);
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace logtally::config
