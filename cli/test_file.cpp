#include "cli/test_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace logtally::cli {

namespace {

bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

void skip_blanks(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

void append_escaped(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string SeriesId::key() const {
  std::string out = name;
  if (labels.empty()) return out;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    append_escaped(out, labels[i].second);
    out += '"';
  }
  out += '}';
  return out;
}

bool parse_sample_value(std::string_view t, double& value) {
  if (t == "+Inf" || t == "Inf") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (t == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (t == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return false;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  return ec == std::errc() && end == t.data() + t.size();
}

bool parse_series(std::string_view s, bool with_value, SeriesId& id, double& value,
                  std::string& error, size_t& error_at) {
  id = SeriesId{};
  size_t i = 0;
  skip_blanks(s, i);
  auto fail = [&](size_t at, std::string message) {
    error = std::move(message);
    error_at = at;
    return false;
  };
  const size_t name_begin = i;
  if (i >= s.size() || !(name_start(s[i]) || s[i] == ':')) {
    return fail(i, "expected a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  while (i < s.size() && (name_char(s[i]) || s[i] == ':')) ++i;
  id.name = std::string(s.substr(name_begin, i - name_begin));
  skip_blanks(s, i);
  if (i < s.size() && s[i] == '{') {
    ++i;
    for (;;) {
      skip_blanks(s, i);
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      const size_t label_begin = i;
      if (i >= s.size() || !name_start(s[i])) {
        return fail(i, "expected a label name or '}'");
      }
      while (i < s.size() && name_char(s[i])) ++i;
      std::string label(s.substr(label_begin, i - label_begin));
      for (const auto& [existing, unused] : id.labels) {
        if (existing == label) return fail(label_begin, "label '" + label + "' given twice");
      }
      skip_blanks(s, i);
      if (i >= s.size() || s[i] != '=') return fail(i, "expected '=' after the label name");
      ++i;
      skip_blanks(s, i);
      if (i >= s.size() || s[i] != '"') return fail(i, "expected '\"' to open the label value");
      ++i;
      std::string v;
      for (;;) {
        if (i >= s.size()) return fail(i, "label value not closed with '\"'");
        const char c = s[i++];
        if (c == '"') break;
        if (c != '\\') {
          v += c;
          continue;
        }
        if (i >= s.size()) return fail(i, "label value not closed with '\"'");
        const char e = s[i++];
        if (e == 'n') {
          v += '\n';
        } else if (e == '\\' || e == '"') {
          v += e;
        } else {
          return fail(i - 2, "unknown escape \\" + std::string(1, e) +
                                 " in a label value (\\\\, \\\" and \\n are known)");
        }
      }
      id.labels.emplace_back(std::move(label), std::move(v));
      skip_blanks(s, i);
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return fail(i, "expected ',' or '}' after a label value");
    }
  }
  // Prometheus: a label with an empty value is no label. Order does not matter.
  id.labels.erase(std::remove_if(id.labels.begin(), id.labels.end(),
                                 [](const auto& l) { return l.second.empty(); }),
                  id.labels.end());
  std::sort(id.labels.begin(), id.labels.end());
  skip_blanks(s, i);
  if (!with_value) {
    if (i < s.size()) return fail(i, "expected the end of the series (no value here)");
    return true;
  }
  const size_t value_begin = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
  if (value_begin == i) return fail(i, "expected a value after the series");
  if (!parse_sample_value(s.substr(value_begin, i - value_begin), value)) {
    return fail(value_begin, "expected a number (or +Inf, -Inf, NaN), got \"" +
                                 std::string(s.substr(value_begin, i - value_begin)) + "\"");
  }
  skip_blanks(s, i);
  if (i < s.size()) return fail(i, "expected the end of the line after the value");
  return true;
}

const config::OptionTable& test_file_options() {
  static const config::OptionTable table = {
      "test file",
      "A `logtally test` file (docs/testing.md).",
      {
          {"config", "string", "",
           "The config under test, relative to the test file; `--config` overrides it. "
           "Neither: the embedded default config."},
          {"tests", "list", "", "The tests: each runs from empty state.", true},
      }};
  return table;
}

const config::OptionTable& test_case_options() {
  static const config::OptionTable table = {
      "test",
      "One test of a test file.",
      {
          {"name", "string", "", "Printed after PASS or FAIL.", true},
          {"source", "string", "",
           "The source the input comes from; may be left out if the config has one source."},
          {"input", "string", "", "Lines exactly as the source would read them.", true},
          {"path", "string", "",
           "File sources: the file the input is read from (`_source.path`, `_source.name` and "
           "the `path_pattern` groups); default: the source's `path`."},
          {"expect", "string", "",
           "Prometheus text lines: each series must exist with exactly this value."},
          {"absent", "list", "", "Series (without value) that must not exist."},
      }};
  return table;
}

namespace {

class TestLoader : public config::Reader {
 public:
  TestLoader(std::string file, std::string_view text) : Reader(std::move(file), text) {
    size_t at = 0;
    while (at <= text.size()) {
      const size_t nl = text.find('\n', at);
      const size_t end = nl == std::string_view::npos ? text.size() : nl;
      std::string_view line = text.substr(at, end - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines_.push_back(line);
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
  }

  core::Result<TestFile> load();

 private:
  void load_case(const YAML::Node& n, TestFile& out);
  /// Parses the series lines of `n` (a block of lines, or a list of one-line strings).
  void load_series(const YAML::Node& n, bool with_value, const std::string& what,
                   std::vector<ExpectedSeries>& out);
  /// Where byte `offset` of line `k` (0-based, `content` its text) of scalar `n` is in the file.
  config::Location locate(const YAML::Node& n, size_t k, std::string_view content,
                          size_t offset) const;

  std::vector<std::string_view> lines_;
};

config::Location TestLoader::locate(const YAML::Node& n, size_t k, std::string_view content,
                                    size_t offset) const {
  const config::Location node = where(n);
  if (node.line <= 0) return node;
  const size_t mark_line = static_cast<size_t>(node.line - 1);
  const size_t mark_col = static_cast<size_t>(node.column - 1);
  if (mark_line >= lines_.size()) return node;
  const std::string_view first = lines_[mark_line];
  const bool block = mark_col < first.size() && (first[mark_col] == '|' || first[mark_col] == '>');
  // A block scalar's line k is file line mark + 1 + k, the content after its indentation.
  // A one-line scalar starts at the mark (after a quote).
  if (block) {
    const size_t line = mark_line + 1 + k;
    if (line < lines_.size()) {
      const std::string_view raw = lines_[line];
      if (raw.size() >= content.size() && raw.substr(raw.size() - content.size()) == content) {
        return {static_cast<int>(line + 1),
                static_cast<int>(raw.size() - content.size() + offset + 1)};
      }
    }
    return node;
  }
  if (k == 0) {
    size_t col = mark_col;
    if (col < first.size() && (first[col] == '"' || first[col] == '\'')) ++col;
    if (first.substr(col, content.size()) == content) {
      return {node.line, static_cast<int>(col + offset + 1)};
    }
  }
  return node;
}

void TestLoader::load_series(const YAML::Node& n, bool with_value, const std::string& what,
                             std::vector<ExpectedSeries>& out) {
  auto one = [&](const YAML::Node& scalar, size_t k, std::string_view line) {
    std::string_view t = line;
    if (!t.empty() && t.back() == '\r') t.remove_suffix(1);
    size_t lead = 0;
    while (lead < t.size() && (t[lead] == ' ' || t[lead] == '\t')) ++lead;
    if (lead == t.size() || t[lead] == '#') return;  // Blank lines and comments.
    ExpectedSeries e;
    std::string message;
    size_t at = 0;
    if (!parse_series(t, with_value, e.id, e.value, message, at)) {
      error_at(locate(scalar, k, t, at), what + ": " + message);
      return;
    }
    e.at = locate(scalar, k, t, lead);
    if (with_value) {
      size_t v = t.size();
      while (v > 0 && t[v - 1] != ' ' && t[v - 1] != '\t') --v;
      e.value_text = std::string(t.substr(v));
    }
    for (const ExpectedSeries& other : out) {
      if (other.id.key() == e.id.key()) {
        error_at(e.at, what + ": " + e.id.key() + " is listed twice (the first is at line " +
                           std::to_string(other.at.line) + ")");
        return;
      }
    }
    out.push_back(std::move(e));
  };
  auto lines_of = [&](const YAML::Node& scalar) {
    const std::string& text = scalar.Scalar();
    size_t k = 0;
    size_t at = 0;
    while (at < text.size()) {
      size_t nl = text.find('\n', at);
      if (nl == std::string::npos) nl = text.size();
      one(scalar, k++, std::string_view(text).substr(at, nl - at));
      at = nl + 1;
    }
  };
  if (n.IsScalar()) {
    lines_of(n);
  } else if (n.IsSequence()) {
    for (const YAML::Node& item : n) {
      if (!item.IsScalar()) {
        error(item, what + ": expected a series as a string, e.g. 'm{label=\"value\"}'");
        continue;
      }
      lines_of(item);
    }
  } else if (!n.IsNull()) {
    error(n, what + ": expected lines of series (a block string or a list of strings)");
  }
}

void TestLoader::load_case(const YAML::Node& n, TestFile& out) {
  const std::string what = "test " + std::to_string(out.tests.size() + 1);
  if (!check_keys(n, test_case_options(), what)) return;
  TestCase t;
  t.at = where(n);
  if (n["name"]) {
    if (auto v = string_value(n["name"], what + " name")) t.name = *v;
  }
  const std::string named = t.name.empty() ? what : "test '" + t.name + "'";
  for (const TestCase& other : out.tests) {
    if (!t.name.empty() && other.name == t.name) {
      error(n["name"], named + ": a test of that name is at line " + std::to_string(other.at.line));
    }
  }
  if (n["source"]) {
    t.source_at = where(n["source"]);
    if (auto v = string_value(n["source"], named + " source")) t.source = *v;
  }
  if (n["path"]) {
    if (auto v = string_value(n["path"], named + " path")) t.path = *v;
  }
  if (const YAML::Node input = n["input"]) {
    // As written: no ${VAR} substitution in input lines.
    if (input.IsScalar()) {
      t.input = input.Scalar();
    } else if (!input.IsNull()) {
      error(input, named + " input: expected the input lines as a string (input: |)");
    }
  }
  if (n["expect"]) load_series(n["expect"], true, named + " expect", t.expect);
  if (n["absent"]) load_series(n["absent"], false, named + " absent", t.absent);
  for (const ExpectedSeries& a : t.absent) {
    for (const ExpectedSeries& e : t.expect) {
      if (a.id.key() == e.id.key()) {
        error_at(a.at, named + " absent: " + a.id.key() + " is also expected (line " +
                           std::to_string(e.at.line) + ")");
      }
    }
  }
  if (t.expect.empty() && t.absent.empty() && errors().empty()) {
    error(n, named +
                 ": expected `expect:` or `absent:` series (a test that checks nothing "
                 "cannot fail)");
  }
  out.tests.push_back(std::move(t));
}

core::Result<TestFile> TestLoader::load() {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text()));
  } catch (const YAML::ParserException& e) {
    error_at({e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    return core::make_error(core::ErrorCode::kConfig, all_errors());
  }
  TestFile out;
  out.file = file();
  if (!root.IsMap()) {
    error_at({1, 1}, "expected a map with keys " + test_file_options().key_list());
    return core::make_error(core::ErrorCode::kConfig, all_errors());
  }
  check_keys(root, test_file_options(), "test file");
  if (root["config"]) {
    out.config_at = where(root["config"]);
    if (auto v = string_value(root["config"], "config")) {
      if (v->empty()) {
        error(root["config"], "config: expected a file name");
      } else if ((*v)[0] == '/') {
        out.config_path = *v;
      } else {
        const size_t slash = out.file.rfind('/');
        out.config_path = slash == std::string::npos ? *v : out.file.substr(0, slash + 1) + *v;
      }
    }
  }
  if (const YAML::Node tests = root["tests"]) {
    if (!tests.IsSequence() || tests.size() == 0) {
      error(tests, "tests: expected a list of tests (- name: ..., input: ..., expect: ...)");
    } else {
      for (const YAML::Node& t : tests) load_case(t, out);
    }
  }
  if (!errors().empty()) return core::make_error(core::ErrorCode::kConfig, all_errors());
  return out;
}

}  // namespace

core::Result<TestFile> load_test_file_text(std::string_view text, const std::string& file_name) {
  TestLoader loader(file_name, text);
  return loader.load();
}

core::Result<TestFile> load_test_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::make_error(core::ErrorCode::kConfig, path + ": cannot read the test file");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  return load_test_file_text(s, path);
}

}  // namespace logtally::cli
