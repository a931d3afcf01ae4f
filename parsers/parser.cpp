#include "parsers/parser.h"

#include "parsers/json_parser.h"

namespace logtally::parsers {

std::unique_ptr<Parser> make_parser(ParserType type, const core::FieldPlan& plan) {
  switch (type) {
    case ParserType::kJson:
      return std::make_unique<JsonParser>(plan);
  }
  return nullptr;
}

}  // namespace logtally::parsers
