// AutoParser: JSON for records that start with `{`, logfmt for everything else.
//
// Leading whitespace (bytes <= 0x20) is skipped before looking at the first byte. A record that
// starts with `{` is JSON, and broken JSON is `invalid_json` as with the json parser (it is not
// retried as logfmt). Everything else, plain text included, is logfmt, which accepts any bytes.
// JSON records are validated as the json parser's `validate` option says, which the auto parser
// takes too, with the same default (`full`: the whole record must be valid JSON).
// This is the embedded default's parser, so `log_records_total{level}` counts both kinds of
// application log.
#pragma once

#include "parsers/json_parser.h"
#include "parsers/logfmt_parser.h"

namespace logtally::parsers {

class AutoParser final : public Parser {
 public:
  explicit AutoParser(const core::FieldPlan& plan, JsonValidate validate = JsonValidate::kFull)
      : json_(plan, validate), logfmt_(plan) {}
  [[nodiscard]] ParseStatus parse(std::string_view record, core::Record& out) noexcept override {
    size_t i = 0;
    while (i < record.size() && static_cast<uint8_t>(record[i]) <= 0x20) ++i;
    if (i < record.size() && record[i] == '{') return json_.parse(record, out);
    return logfmt_.parse(record, out);
  }

 private:
  JsonParser json_;
  LogfmtParser logfmt_;
};

/// `parser: auto`: its options.
struct AutoParserConfig final : ParserSpec {
  JsonValidate validate = JsonValidate::kFull;  ///< For the JSON records.

  std::string_view type_name() const noexcept override { return "auto"; }
  std::string describe_details() const override;
  std::unique_ptr<Parser> make(const core::FieldPlan& plan) const override;
};

/// `parser: auto`.
config::ParserEntry auto_parser_entry();
/// The auto parser with its defaults.
std::shared_ptr<const ParserSpec> auto_parser_spec();

}  // namespace logtally::parsers
