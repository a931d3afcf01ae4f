// Diagnostics to stderr for operators: one line each, with a UTC timestamp and a level.
// Never on the per-record path (drops are counted in self-metrics instead).
#pragma once

#include <string_view>

namespace logtally::core {

enum class LogLevel : uint8_t {
  kInfo,   ///< Start, stop, configuration in effect.
  kWarn,   ///< Something degraded but the process goes on (a file vanished, a retry).
  kError,  ///< Something failed; the message says what and what happens next.
};

void log(LogLevel level, std::string_view message);

}  // namespace logtally::core
