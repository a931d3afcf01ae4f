#include "ingest/stdin/stdin_source.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "core/log.h"
#include "ingest/multiline.h"
#include "ingest/source_options.h"

namespace logtally::ingest {

namespace {
// How long one wait for input may block before the stop flag is looked at again.
constexpr int kPollMillis = 200;
// How long a stop waits for the line in progress to end.
constexpr std::chrono::seconds kStopGrace{1};
}  // namespace

std::unique_ptr<Source> StdinSourceConfig::build(const SourceCommon& common, SourceMode mode,
                                                 core::SelfMetrics* self_metrics) const {
  return std::make_unique<StdinSource>(
      common, mode, 0,
      common.multiline ? TruncatedCounters::make(self_metrics, common.name) : TruncatedCounters{});
}

const config::OptionTable& stdin_source_options() {
  static const config::OptionTable table = {
      "source: stdin",
      "Lines from standard input (the sidecar: `app | logtally`).",
      {
          source_type_option("`stdin`. At most one stdin source per config."),
          max_record_bytes_option(),
          envelope_format_option(),
          multiline_option(),
      }};
  return table;
}

config::SourceEntry stdin_source_entry() {
  return {"stdin",
          {&stdin_source_options()},
          [](config::Reader&, const YAML::Node&, const std::string&) {
            return std::shared_ptr<const SourceSpec>(std::make_shared<StdinSourceConfig>());
          },
          /*single=*/true};
}

void StdinSource::run(core::BatchChannel& channel, const std::atomic<bool>& stop) {
  LineReader reader(channel, common_.index, common_.max_record_bytes, common_.format,
                    common_.multiline.get(), truncated_);
  const int tee_fd = mode_.tee ? STDOUT_FILENO : -1;
  // Asked to stop (shutdown or a reload), it still reads until the line in progress ends, for
  // at most kStopGrace: a reload's next stdin source then starts at a line boundary.
  std::chrono::steady_clock::time_point give_up{};
  for (;;) {
    if (stop.load(std::memory_order_relaxed)) {
      if (reader.partial_bytes() == 0) break;
      const auto now = std::chrono::steady_clock::now();
      if (give_up == std::chrono::steady_clock::time_point{}) give_up = now + kStopGrace;
      if (now >= give_up) {
        core::log(core::LogLevel::kWarn, "stdin: stopping in the middle of a line (" +
                                             std::to_string(reader.partial_bytes()) +
                                             " bytes): they count as a record of their own");
        break;
      }
    }
    pollfd pfd{fd_, POLLIN, 0};
    int wait = give_up == std::chrono::steady_clock::time_point{} ? kPollMillis : 20;
    // A multi-line record in progress is handed over when its timeout passes, input or not.
    const auto expiry = reader.next_expiry();
    if (expiry != std::chrono::steady_clock::time_point::max()) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(expiry - std::chrono::steady_clock::now());
      wait = static_cast<int>(std::clamp<int64_t>(left.count(), 0, wait));
    }
    const int ready = ::poll(&pfd, 1, wait);
    if (expiry != std::chrono::steady_clock::time_point::max()) {
      reader.expire(std::chrono::steady_clock::now());
    }
    if (ready == 0) continue;
    if (ready < 0) {
      if (errno == EINTR) continue;
      core::log(core::LogLevel::kError, std::string("stdin: poll failed: ") + std::strerror(errno));
      break;
    }
    const ssize_t n = reader.read_from(fd_, tee_fd);
    if (n > 0) continue;
    if (n == 0) break;  // End of input.
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECANCELED) return;
    core::log(core::LogLevel::kError, std::string("stdin: read failed: ") + std::strerror(errno));
    break;
  }
  reader.finish();
}

}  // namespace logtally::ingest
