// Parser: turns one record's bytes into the planned fields of a Record.
//
// Contract:
// - A Parser instance belongs to one worker thread; parse() is called for each record of each
//   batch in order. It never throws and, once warmed up, never allocates.
// - `record` points into a Batch buffer: at least core::kPadding readable bytes follow its end.
// - parse() clears `out` and fills only planned slots; string views it stores stay valid until
//   the next parse() on the same instance.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace logtally::parsers {

enum class ParseStatus : uint8_t {
  kOk,           ///< Planned fields are filled (absent ones stay absent).
  kInvalidJson,  ///< Malformed input (JSON syntax, or an invalid escape in a planned string).
  kNotObject,    ///< Well-formed but not an object: a scalar or an array is not a log record.
  kNoMatch,      ///< Regex parser: the record matches none of the patterns.
};

class Parser {
 public:
  virtual ~Parser() = default;
  [[nodiscard]] virtual ParseStatus parse(std::string_view record, core::Record& out) noexcept = 0;
};

/// Parser types a config may name.
enum class ParserType : uint8_t {
  kJson,    ///< simdjson On-Demand; reads only planned fields.
  kRegex,   ///< RE2 patterns with named groups (parsers/regex_parser.h).
  kLogfmt,  ///< `key=value key2="quoted"` pairs (parsers/logfmt_parser.h).
  kAuto,    ///< JSON when the record starts with `{`, else logfmt (parsers/auto_parser.h).
};

/// The config name of a parser type: "json", "logfmt", "regex", "auto".
std::string_view parser_type_name(ParserType type) noexcept;

/// What a parser needs besides its type. Only the regex parser has options so far.
struct ParserOptions {
  std::vector<std::string> patterns;  ///< Regex: RE2 patterns, tried in order (validated).
};

/// Builds a parser of `type` that fills the slots of `plan` (which must outlive it).
std::unique_ptr<Parser> make_parser(ParserType type, const core::FieldPlan& plan);
/// Same, with options (the regex parser's patterns, which must have been validated with
/// inspect_patterns()).
std::unique_ptr<Parser> make_parser(ParserType type, const ParserOptions& options,
                                    const core::FieldPlan& plan);

/// A parser type's validated config (its struct derives from this): the factory of one parser
/// per worker and what `logtally check` says of it. Immutable once loaded; shared by workers.
class ParserSpec {
 public:
  virtual ~ParserSpec() = default;
  /// The `type:` it was loaded from: "json", "logfmt", "regex", "auto".
  virtual std::string_view type_name() const noexcept = 0;
  /// Lines `check` prints under the pipeline's first line (the regex patterns), each ending in
  /// a newline; empty for most parsers.
  virtual std::string describe_details() const { return {}; }
  /// Builds the parser of one worker, filling the slots of `plan` (which must outlive it).
  virtual std::unique_ptr<Parser> make(const core::FieldPlan& plan) const = 0;
  /// Empty if a field at `path` can ever be filled by this parser; otherwise why not, for the
  /// pipeline named in `pipeline_what` ("pipeline 'p'"): the regex parser fills named groups
  /// only, so any other field is surely a typo.
  virtual std::string check_field(const core::FieldPath& path,
                                  const std::string& pipeline_what) const {
    return {};
  }
};

/// The specs of the parsers without options, for code that builds pipelines by hand (tests,
/// benchmarks): the same objects the config's `parser: json` etc. produce.
std::shared_ptr<const ParserSpec> json_parser_spec();
std::shared_ptr<const ParserSpec> logfmt_parser_spec();
std::shared_ptr<const ParserSpec> auto_parser_spec();

}  // namespace logtally::parsers
