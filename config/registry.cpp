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

}  // namespace logtally::config
