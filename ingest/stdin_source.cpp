#include "ingest/stdin_source.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/log.h"

namespace logtally::ingest {

namespace {
// How long one wait for input may block before the stop flag is looked at again.
constexpr int kPollMillis = 200;
}  // namespace

void StdinSource::run(core::BatchChannel& channel, const std::atomic<bool>& stop) {
  LineReader reader(channel, index_, config_.max_record_bytes, config_.format);
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
