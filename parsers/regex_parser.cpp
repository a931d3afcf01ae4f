#include "parsers/regex_parser.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include <algorithm>

namespace logtally::parsers {

namespace {

re2::RE2::Options pattern_options() {
  re2::RE2::Options o;
  o.set_log_errors(false);  // Errors are reported by the config loader with their location.
  return o;
}

}  // namespace

std::vector<PatternInfo> inspect_patterns(const std::vector<std::string>& patterns) {
  std::vector<PatternInfo> out;
  out.reserve(patterns.size());
  for (const std::string& text : patterns) {
    PatternInfo info;
    re2::RE2 re(text, pattern_options());
    if (!re.ok()) {
      info.error = re.error();
    } else {
      std::vector<std::pair<int, std::string>> named;
      for (const auto& [name, index] : re.NamedCapturingGroups()) named.emplace_back(index, name);
      std::sort(named.begin(), named.end());
      for (auto& [index, name] : named) info.groups.push_back(std::move(name));
    }
    out.push_back(std::move(info));
  }
  return out;
}

RegexParser::RegexParser(const std::vector<std::string>& patterns, const core::FieldPlan& plan) {
  // Planned single-segment paths are the group names a pattern may fill.
  const auto& nodes = plan.nodes();
  size_t widest = 0;
  for (const std::string& text : patterns) {
    Pattern p;
    p.re = std::make_unique<re2::RE2>(text, pattern_options());
    if (p.re->ok()) {
      p.direct = DeterministicRegex::compile(text, *p.re);
      const auto& named = p.re->NamedCapturingGroups();
      for (uint32_t c : plan.root().children) {
        if (nodes[c].slot < 0) continue;
        auto it = named.find(nodes[c].key);
        if (it == named.end()) continue;
        p.captures.push_back({it->second, static_cast<uint32_t>(nodes[c].slot)});
        p.submatches = std::max(p.submatches, it->second + 1);
      }
    }
    widest = std::max(widest, static_cast<size_t>(p.submatches));
    patterns_.push_back(std::move(p));
  }
  groups_.resize(widest);
  // With two patterns the set would not save a scan (see parse()).
  if (patterns_.size() > 2) {
    set_ = std::make_unique<re2::RE2::Set>(pattern_options(), re2::RE2::UNANCHORED);
    bool ok = true;
    for (const std::string& text : patterns) ok = ok && set_->Add(text, nullptr) >= 0;
    // A set that cannot be built (over RE2's memory budget) only costs speed: every pattern is
    // then tried in turn.
    if (!ok || !set_->Compile()) set_.reset();
  }
}

bool RegexParser::extract(const Pattern& p, std::string_view record, core::Record& out) noexcept {
  if (!p.re->ok()) return false;
  // A pattern that needs no backtracking is matched by one scan of its own (same result as
  // RE2's, see deterministic_regex.h); the others by RE2.
  const re2::StringPiece text(record.data(), record.size());
  const bool matched = p.direct ? p.direct->match(record, groups_.data(), p.submatches)
                                : p.re->Match(text, 0, text.size(), re2::RE2::UNANCHORED,
                                              groups_.data(), p.submatches);
  if (!matched) return false;
  for (const Capture& c : p.captures) {
    const re2::StringPiece g = groups_[static_cast<size_t>(c.group)];
    if (g.data() == nullptr) continue;  // The group did not take part in the match.
    core::FieldValue& f = out.slot(c.slot);
    f.kind = core::FieldValue::Kind::kString;
    f.has_number = false;
    f.text = std::string_view(g.data(), g.size());
  }
  return true;
}

ParseStatus RegexParser::parse(std::string_view record, core::Record& out) noexcept {
  out.clear();
  // Most lines match the first pattern (the common format comes first), so it is tried
  // directly: one scan. When it fails, the set of all patterns says in one more scan whether
  // any other can match, so a line that matches none costs two scans however many patterns
  // there are. (RE2::Set::Match allocates when asked *which* patterns match, so it is only asked
  // whether any does. A set that ran out of DFA memory answers false with an error; then the
  // patterns are simply tried.)
  if (patterns_.empty()) return ParseStatus::kNoMatch;
  if (extract(patterns_[0], record, out)) return ParseStatus::kOk;
  if (set_) {
    re2::RE2::Set::ErrorInfo info{};
    if (!set_->Match(re2::StringPiece(record.data(), record.size()), nullptr, &info) &&
        info.kind == re2::RE2::Set::kNoError) {
      return ParseStatus::kNoMatch;
    }
  }
  for (size_t i = 1; i < patterns_.size(); ++i) {
    if (extract(patterns_[i], record, out)) return ParseStatus::kOk;
  }
  return ParseStatus::kNoMatch;
}

namespace {

const config::OptionTable& regex_options() {
  static const config::OptionTable table = {
      "parser: regex",
      "Text records matched against RE2 patterns; each named group (`(?P<name>...)`) is a "
      "field. See docs/parsers.md.",
      {
          {"type", "string", "", "`regex`.", true},
          {"patterns", "list of strings (RE2 syntax)", "",
           "Tried in order; the first that matches fills the record. Anchored only where the "
           "pattern says so (`^`, `$`). A record matching none is dropped with reason "
           "`no_match`. Metric fields must be group names of at least one pattern.",
           true},
      }};
  return table;
}

// The patterns are compiled here, so that a bad one is reported at its own line and column
// with RE2's message, before anything runs.
std::shared_ptr<const ParserSpec> load_regex(config::Reader& reader, const YAML::Node& n,
                                             const std::string& what) {
  if (!n.IsMap()) {
    reader.error(n, what + " parser: regex needs a map with 'type: regex' and 'patterns'");
    return nullptr;
  }
  const YAML::Node list = n["patterns"];
  if (!list) return nullptr;  // Reported by the key check.
  if (!list.IsSequence() || list.size() == 0) {
    reader.error(list, what + " parser patterns: expected a non-empty list of RE2 patterns");
    return nullptr;
  }
  auto config = std::make_shared<RegexParserConfig>();
  std::vector<YAML::Node> nodes;
  for (const YAML::Node& item : list) {
    nodes.push_back(item);
    std::optional<std::string> s = reader.string_value(item, what + " parser pattern");
    config->patterns.push_back(s ? *s : std::string());
  }
  const std::vector<PatternInfo> infos = inspect_patterns(config->patterns);
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!infos[i].error.empty()) {
      reader.error(nodes[i], what + " parser pattern " + std::to_string(i + 1) +
                                 ": invalid regular expression (RE2): " + infos[i].error);
    }
    config->groups.push_back(infos[i].groups);
  }
  return config;
}

}  // namespace

std::string RegexParserConfig::describe_details() const {
  std::string out;
  for (size_t i = 0; i < patterns.size(); ++i) {
    out += "    pattern " + std::to_string(i + 1) + ": " + patterns[i] + "\n";
  }
  return out;
}

std::unique_ptr<Parser> RegexParserConfig::make(const core::FieldPlan& plan) const {
  return std::make_unique<RegexParser>(patterns, plan);
}

// With the regex parser a field is a named group: every field a metric reads must be a group
// of at least one pattern (otherwise it could never be present, which is surely a typo).
std::string RegexParserConfig::check_field(const core::FieldPath& path,
                                           const std::string& pipeline_what) const {
  std::set<std::string> all;
  for (const auto& pattern_groups : groups)
    all.insert(pattern_groups.begin(), pattern_groups.end());
  std::string known;
  for (const std::string& g : all) known += (known.empty() ? "" : ", ") + g;
  if (known.empty()) known = "(none)";
  if (path.segments.size() != 1) {
    return "'" + path.to_string() + "' is a nested path, but regex fields are named groups; " +
           "groups of " + pipeline_what + " are: " + known;
  }
  if (!all.count(path.segments[0])) {
    return "no pattern of " + pipeline_what + " has a group named '" + path.segments[0] +
           "'; groups are: " + known;
  }
  return {};
}

config::ParserEntry regex_parser_entry() { return {"regex", {&regex_options()}, &load_regex}; }

}  // namespace logtally::parsers
