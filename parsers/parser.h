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

}  // namespace logtally::parsers
