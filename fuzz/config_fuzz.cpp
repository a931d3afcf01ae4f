// Fuzzes config loading: arbitrary bytes as a YAML config file; a config that loads is compiled
// and described (what `logtally check` does), and its SLO rules and dashboard are generated
// (`logtally rules`, `logtally dashboard`: selectors, le spellings, JSON and YAML escaping).
// Loading reads nothing but the text (and the environment, for `${VAR}`); no source or sink is
// built, so nothing is opened or started.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/build.h"
#include "config/config.h"
#include "fuzz/fuzz_input.h"
#include "monitoring/dashboard.h"
#include "monitoring/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Config files are short; longer inputs only slow the search down (fuzz.sh also passes
  // -max_len=4096).
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  logtally::core::Result<logtally::config::Config> config =
      logtally::config::load_config_text(text, "fuzz.yaml");
  if (!config.ok()) {
    LOGTALLY_FUZZ_CHECK(!config.error().message.empty());
    return 0;
  }
  const logtally::config::Compiled compiled = logtally::config::compile(*config);
  const std::string described = logtally::config::describe(*config, compiled);
  LOGTALLY_FUZZ_CHECK(!described.empty());
  LOGTALLY_FUZZ_CHECK(!logtally::monitoring::rules_yaml(*config).empty());
  LOGTALLY_FUZZ_CHECK(!logtally::monitoring::config_dashboard_json(*config).empty());
  return 0;
}
