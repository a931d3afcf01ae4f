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
          json_validate_option(),
      }};
  return table;
}

std::shared_ptr<const ParserSpec> make_auto_spec(JsonValidate validate) {
  auto spec = std::make_shared<AutoParserConfig>();
  spec->validate = validate;
  return spec;
}

std::shared_ptr<const ParserSpec> load_auto(config::Reader& reader, const YAML::Node& n,
                                            const std::string& what) {
  const std::optional<JsonValidate> validate = read_json_validate(reader, n, auto_options(), what);
  if (!validate) return nullptr;
  return *validate == JsonValidate::kFull ? auto_parser_spec() : make_auto_spec(*validate);
}

}  // namespace

std::string AutoParserConfig::describe_details() const {
  return validate == JsonValidate::kTouched ? "    validate: touched\n" : "";
}

std::unique_ptr<Parser> AutoParserConfig::make(const core::FieldPlan& plan) const {
  return std::make_unique<AutoParser>(plan, validate);
}

std::shared_ptr<const ParserSpec> auto_parser_spec() {
  static const auto spec = make_auto_spec(JsonValidate::kFull);
  return spec;
}

config::ParserEntry auto_parser_entry() { return {"auto", {&auto_options()}, &load_auto}; }

}  // namespace logtally::parsers
