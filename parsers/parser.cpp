#include "parsers/parser.h"

#include "parsers/json_parser.h"
#include "parsers/regex_parser.h"

namespace logtally::parsers {

std::string_view parser_type_name(ParserType type) noexcept {
  switch (type) {
    case ParserType::kJson:
      return "json";
    case ParserType::kRegex:
      return "regex";
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
  }
  return nullptr;
}

}  // namespace logtally::parsers
