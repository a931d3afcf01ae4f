// The one escaper of the text expositions (Prometheus text 0.0.4 and OpenMetrics 1.0.0): both
// escape `\` as `\\` and a newline as `\n` in label values and HELP text; label values (both
// formats) and OpenMetrics HELP also escape `"` as `\"`.
#pragma once

#include <string>
#include <string_view>

namespace logtally::sinks {

enum class EscapeQuotes : bool {
  kNo,   ///< Text 0.0.4 HELP.
  kYes,  ///< Label values; OpenMetrics HELP.
};

/// Appends `text` to `out`, escaped as above.
void append_escaped(std::string& out, std::string_view text, EscapeQuotes quotes);

}  // namespace logtally::sinks
