#include "ingest/file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/log.h"

namespace logtally::ingest {

FileSource::~FileSource() { close_file(); }

std::string FileSource::describe() const {
  return "file " + config_.path + " (start_at " + (config_.start_at_end ? "end" : "beginning") +
         (mode_.once ? ", read once" : ", followed") + ")";
}

bool FileSource::open_file(bool at_end) {
  const int fd = ::open(config_.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return false;
  }
  if (at_end) ::lseek(fd, 0, SEEK_END);
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return true;
}

void FileSource::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

core::Status FileSource::prepare() {
  if (open_file(config_.start_at_end)) return core::Ok{};
  const int err = errno;
  if (mode_.once) {
    return core::make_error(core::ErrorCode::kIo,
                            "file source: cannot open " + config_.path + ": " + std::strerror(err));
  }
  core::log(core::LogLevel::kWarn, "file source: cannot open " + config_.path + " (" +
                                       std::strerror(err) + "); waiting for it to appear");
  return core::Ok{};
}

void FileSource::run(core::BatchChannel& channel, const std::atomic<bool>& stop) {
  LineReader reader(channel, index_, config_.max_record_bytes, config_.format);
  const auto idle = std::chrono::milliseconds(config_.poll_millis);
  while (!stop.load(std::memory_order_relaxed)) {
    if (fd_ < 0) {
      // A file that appears after start is new: read it from its beginning.
      if (!open_file(false)) {
        if (mode_.once) break;
        std::this_thread::sleep_for(idle);
        continue;
      }
      core::log(core::LogLevel::kInfo, "file source: opened " + config_.path);
    }
    const ssize_t n = reader.read_from(fd_);
    if (n > 0) continue;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECANCELED) return;
      core::log(core::LogLevel::kError,
                "file source: read " + config_.path + " failed: " + std::strerror(errno));
      close_file();
      if (mode_.once) break;
      continue;
    }
    // At the end of the file.
    if (mode_.once) break;
    struct stat by_path {};
    struct stat by_fd {};
    const bool path_ok = ::stat(config_.path.c_str(), &by_path) == 0;
    if (::fstat(fd_, &by_fd) == 0) {
      const off_t offset = ::lseek(fd_, 0, SEEK_CUR);
      if (by_fd.st_size < offset) {
        // Truncated in place (copytruncate): start over.
        core::log(core::LogLevel::kInfo, "file source: " + config_.path + " was truncated");
        reader.discard_partial();
        ::lseek(fd_, 0, SEEK_SET);
        continue;
      }
    }
    if (path_ok && (by_path.st_dev != dev_ || by_path.st_ino != ino_)) {
      // Replaced (rename rotation): the old file was read to its end just now; its unfinished
      // last line is complete as far as it will ever be.
      core::log(core::LogLevel::kInfo, "file source: " + config_.path + " was replaced");
      reader.finish();
      close_file();
      continue;
    }
    std::this_thread::sleep_for(idle);
  }
  reader.finish();
}

}  // namespace logtally::ingest
