// Parser: turns one record's bytes into the planned fields of a Record.
//
// Contract:
// - A Parser instance belongs to one worker thread; parse() is called for each record of each
//   batch in order. It never throws and, once warmed up, never allocates.
// - `record` points into a Batch buffer: at least core::kPadding readable bytes follow its end.
// - parse() clears `out` and fills only planned slots; string views it stores stay valid until
//   the next parse() on the same instance.
// - begin_batch(batch) may come before the records of `batch` are parsed, and end_batch() after
//   them (before the batch is recycled): a parser may then do work once for the whole batch.
//   parse() must give the same results with or without them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"

namespace logtally::core {
class Batch;
}  // namespace logtally::core

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
  /// The records parsed next are those of `batch`, in order (some may be skipped).
  virtual void begin_batch(const core::Batch& batch) noexcept {}
  /// The batch given to begin_batch() is done with.
  virtual void end_batch() noexcept {}
};

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

/// The spec of a parser type without options: `make()` constructs `P(plan)`.
template <class P>
class PlainParserSpec final : public ParserSpec {
 public:
  explicit PlainParserSpec(std::string_view type) : type_(type) {}
  std::string_view type_name() const noexcept override { return type_; }
  std::unique_ptr<Parser> make(const core::FieldPlan& plan) const override {
    return std::make_unique<P>(plan);
  }

 private:
  std::string_view type_;
};

}  // namespace logtally::parsers
