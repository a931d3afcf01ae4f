#include "cli/tap.h"

#include <cstdio>

namespace logtally::cli {

int run_tap(const config::Config&, const std::string&, uint64_t) {
  std::fprintf(stderr, "logtally: tap is not built yet\n");
  return 1;
}

}  // namespace logtally::cli
