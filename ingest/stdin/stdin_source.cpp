#include "ingest/stdin/stdin_source.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/log.h"
#include "ingest/source_options.h"

namespace logtally::ingest {

namespace {
// How long one wait for input may block before the stop flag is looked at again.
constexpr int kPollMillis = 200;
}  // namespace

std::unique_ptr<Source> StdinSourceConfig::build(const SourceCommon& common, SourceMode mode,
                                                 core::SelfMetrics*) const {
  return std::make_unique<StdinSource>(common, mode);
}

const config::OptionTable& stdin_source_options() {
  static const config::OptionTable table = {
      "source: stdin",
      "Lines from standard input (the sidecar: `app | logtally`).",
      {
          source_type_option("`stdin`. At most one stdin source per config."),
          max_record_bytes_option(),
          envelope_format_option(),
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
  LineReader reader(channel, common_.index, common_.max_record_bytes, common_.format);
  const int tee_fd = mode_.tee ? STDOUT_FILENO : -1;
  while (!stop.load(std::memory_order_relaxed)) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kPollMillis);
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
