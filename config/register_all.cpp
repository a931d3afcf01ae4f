// Every component logtally has, one line each: the only place a new source, parser or sink is
// named outside its own files (docs/development.md). The order is the order of
// `logtally config-reference` and of "expected ..." lists in messages.
#include "config/registry.h"

namespace logtally::config {

void register_all(Registry& r) {
  // Sources.
  // Parsers.
  // Sinks.
  (void)r;
}

}  // namespace logtally::config
