// Option tables: every key a config section accepts, as one row each (type, default, meaning).
// The loader rejects keys not in a section's table, and docs/config-reference.md is generated
// from the same tables (`logtally config-reference`), so the docs cannot drift from the code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace logtally::config {

struct Option {
  std::string_view key;
  std::string_view type;           ///< As written in the docs: string, integer, number, ...
  std::string_view default_value;  ///< "" when required or when there is no default.
  std::string_view description;
  bool required = false;
};

struct OptionTable {
  std::string_view section;  ///< e.g. "source: file", "metric".
  std::string_view description;
  std::vector<Option> options;

  const Option* find(std::string_view key) const;
  /// "a, b, c": the keys, for "expected one of" messages.
  std::string key_list() const;
};

/// All tables, in the order the reference lists them.
const std::vector<OptionTable>& option_tables();
/// The table of one section; the section must exist.
const OptionTable& option_table(std::string_view section);

/// The configuration reference in Markdown, generated from the tables above followed by
/// `component_tables` (the registered components' own: see config_reference_markdown() in
/// config/registry.h, which passes them).
std::string config_reference_markdown(const std::vector<const OptionTable*>& component_tables);

}  // namespace logtally::config
