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
  // Sinks are the last sections of the reference, after the config's own tables.
  std::vector<const OptionTable*> tables;
  for (const SinkEntry& e : registry().sinks())
    tables.insert(tables.end(), e.tables.begin(), e.tables.end());
  return config_reference_markdown(tables);
}

}  // namespace logtally::config
