#include "parsers/parser.h"

#include "parsers/auto_parser.h"
#include "parsers/json_parser.h"
#include "parsers/logfmt_parser.h"
#include "parsers/regex_parser.h"

namespace logtally::parsers {

std::string_view parser_type_name(ParserType type) noexcept {
  switch (type) {
    case ParserType::kJson:
      return "json";
    case ParserType::kRegex:
      return "regex";
    case ParserType::kLogfmt:
      return "logfmt";
    case ParserType::kAuto:
      return "auto";
  }
  return "?";
}

std::unique_ptr<Parser> make_parser(ParserType type, const core::FieldPlan& plan) {
  return make_parser(type, ParserOptions{}, plan);
}

std::unique_ptr<Parser> make_parser(ParserType type, const ParserOptions& options,
                                    const core::FieldPlan& plan) {
  switch (type) {
    case ParserType::kJson:
      return std::make_unique<JsonParser>(plan);
    case ParserType::kRegex:
      return std::make_unique<RegexParser>(options.patterns, plan);
    case ParserType::kLogfmt:
      return std::make_unique<LogfmtParser>(plan);
    case ParserType::kAuto:
      return std::make_unique<AutoParser>(plan);
  }
  return nullptr;
}

}  // namespace logtally::parsers
