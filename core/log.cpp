#include "core/log.h"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace logtally::core {

void log(LogLevel level, std::string_view message) {
  static std::mutex mu;
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const char* name = level == LogLevel::kInfo   ? "info"
                     : level == LogLevel::kWarn ? "warn"
                                                : "error";
  std::lock_guard<std::mutex> lock(mu);
  std::fprintf(stderr, "%s logtally %s: %.*s\n", stamp, name, static_cast<int>(message.size()),
               message.data());
}

}  // namespace logtally::core
