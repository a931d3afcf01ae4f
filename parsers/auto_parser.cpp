#include "parsers/auto_parser.h"

namespace logtally::parsers {

namespace {

const config::OptionTable& auto_options() {
  static const config::OptionTable table = {
      "parser: auto",
      "JSON for records whose first non-blank byte is `{`, logfmt for all others (the "
      "embedded default's parser).",
      {
          {"type", "string", "", "`auto`.", true},
      }};
  return table;
}

}  // namespace

std::shared_ptr<const ParserSpec> auto_parser_spec() {
  static const auto spec = std::make_shared<const PlainParserSpec<AutoParser>>("auto");
  return spec;
}

config::ParserEntry auto_parser_entry() {
  return {"auto", {&auto_options()}, [](config::Reader&, const YAML::Node&, const std::string&) {
            return auto_parser_spec();
          }};
}

}  // namespace logtally::parsers
