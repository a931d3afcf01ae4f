// RegexParser: text records matched against RE2 patterns with named groups.
//
// - Patterns are tried in order; the first that matches fills the record. The first pattern is
//   tried directly (most lines match the common format); when it fails and there are three or
//   more patterns, an RE2::Set of all of them says in one scan whether any can match, so a line
//   that matches none costs two scans, not one per pattern. (Asking the set *which* patterns
//   match would allocate per record in RE2::Set::Match, so it is not asked.)
// - A pattern that starts with `^` and never needs to backtrack (each repetition stops at a
//   character that what follows must start with, each choice is made by the next character:
//   `^(?P<client>\S+) \S+ \[[^\]]+\] "...`) is matched by DeterministicRegex, one scan with a
//   table lookup per byte, instead of RE2, whose capturing engines cost 5-10x more per byte.
//   Both give the same matches and groups; every other pattern is matched by RE2.
// - A pattern is anchored only where its text says so (`^...$`); RE2 looks for a match anywhere
//   in the record otherwise. RE2 runs in time linear in the record's length: no pattern can hang.
// - A field is a named group (`(?P<status>\d+)`); the plan's single-segment paths are matched
//   against group names. A group that did not take part in the match leaves its field absent.
//   Captured fields are strings (views into the record); metric values parse them as numbers.
// - A record that matches no pattern is `kNoMatch`. Records are matched as UTF-8: an invalid
//   UTF-8 byte matches no character class, not even `.`, so a record holding one matches only
//   where that byte falls outside every part of the pattern that has to consume it.
//
// RE2 objects keep a lazily built DFA cache behind their own lock; each worker builds its own
// parser (and its own RE2 objects), so that lock is never contended.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "config/component.h"
#include "parsers/deterministic_regex.h"
#include "parsers/parser.h"

namespace logtally::parsers {

/// What config validation needs to know about one pattern.
struct PatternInfo {
  std::string error;                ///< RE2's error ("" when the pattern compiles).
  std::vector<std::string> groups;  ///< Its named groups, in order of their index.
};

/// Compiles each pattern with the options the parser uses and reports errors and group names.
std::vector<PatternInfo> inspect_patterns(const std::vector<std::string>& patterns);

class RegexParser final : public Parser {
 public:
  /// `patterns` must compile (check them with inspect_patterns() first); a pattern that does
  /// not compile never matches.
  RegexParser(const std::vector<std::string>& patterns, const core::FieldPlan& plan);
  [[nodiscard]] ParseStatus parse(std::string_view record, core::Record& out) noexcept override;

 private:
  struct Capture {
    int group = 0;      ///< Index of the named group in its pattern.
    uint32_t slot = 0;  ///< Slot it fills.
  };
  struct Pattern {
    std::unique_ptr<re2::RE2> re;
    /// The same pattern matched in one scan, when it needs no backtracking (most log formats
    /// anchored with `^`); null otherwise.
    std::unique_ptr<DeterministicRegex> direct;
    std::vector<Capture> captures;  ///< Planned groups only.
    int submatches = 0;             ///< 1 + highest planned group index, or 0 if none.
  };

  bool extract(const Pattern& p, std::string_view record, core::Record& out) noexcept;

  std::vector<Pattern> patterns_;
  std::unique_ptr<re2::RE2::Set> set_;  ///< Only with 3+ patterns, and if it could be built.
  std::vector<re2::StringPiece> groups_;
};

/// `parser: regex`: the patterns (each compiled at load) and their group names.
struct RegexParserConfig final : ParserSpec {
  std::vector<std::string> patterns;
  std::vector<std::vector<std::string>> groups;  ///< Per pattern, its named groups.

  std::string_view type_name() const noexcept override { return "regex"; }
  std::string describe_details() const override;
  std::unique_ptr<Parser> make(const core::FieldPlan& plan) const override;
  std::string check_field(const core::FieldPath& path,
                          const std::string& pipeline_what) const override;
};

config::ParserEntry regex_parser_entry();

}  // namespace logtally::parsers
