#include "config/registry.h"

namespace logtally::config {

const Registry& registry() {
  static const Registry filled = [] {
    Registry r;
    register_all(r);
    return r;
  }();
  return filled;
}

std::string config_reference_markdown() {
  // The source types' tables come right after the config's "checkpoint" table.
  std::vector<const OptionTable*> tables;
  for (const OptionTable& t : option_tables()) {
    tables.push_back(&t);
    if (t.section != "checkpoint") continue;
    for (const SourceEntry& e : registry().sources()) {
      tables.insert(tables.end(), e.tables.begin(), e.tables.end());
    }
  }
  return config_reference_markdown(tables);
}

}  // namespace logtally::config
