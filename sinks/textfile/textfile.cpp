#include "sinks/textfile/textfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>
#include <vector>

#include <prometheus/text_serializer.h>

#include "core/log.h"
#include "sinks/exposition/exposition.h"

namespace logtally::sinks {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// The directory of `path` ("." for a bare file name), to fsync after the rename.
std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

TextfileSink::TextfileSink(std::string name, TextfileConfig config, const core::MetricStore& store)
    : name_(std::move(name)), config_(std::move(config)), store_(store) {}

core::Status TextfileSink::start() {
  sent_ = register_send_counters(store_.self_metrics(), name_);
  return core::Ok{};
}

bool TextfileSink::write_file(const std::string& text, std::string& error) const {
  std::string tmp = config_.path + ".tmp.XXXXXX";
  std::vector<char> name(tmp.begin(), tmp.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd < 0) {
    error = errno_text("cannot create a temporary file " + tmp);
    return false;
  }
  tmp.assign(name.data());
  bool ok = true;
  size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = errno_text("cannot write " + tmp);
      ok = false;
    } else {
      done += static_cast<size_t>(n);
    }
  }
  // mkstemp creates the file 0600; the collector may run as another user.
  if (ok && fchmod(fd, config_.mode) != 0) {
    error = errno_text("cannot chmod " + tmp);
    ok = false;
  }
  if (ok && fsync(fd) != 0) {
    error = errno_text("cannot fsync " + tmp);
    ok = false;
  }
  if (close(fd) != 0 && ok) {
    error = errno_text("cannot close " + tmp);
    ok = false;
  }
  if (ok && rename(tmp.c_str(), config_.path.c_str()) != 0) {
    error = errno_text("cannot rename " + tmp + " to " + config_.path);
    ok = false;
  }
  if (!ok) {
    unlink(tmp.c_str());
    return false;
  }
  // The rename itself is durable once the directory is synced (a crash keeps the new file).
  const int dir = open(dir_of(config_.path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)fsync(dir);
    close(dir);
  }
  return true;
}

FlushResult TextfileSink::flush(const core::Snapshot& snapshot, bool /*final*/) {
  std::string text;
  std::string error;
  bool ok = true;
  try {
    const prometheus::TextSerializer serializer;
    text = serializer.Serialize(to_families(store_, snapshot));
  } catch (const std::exception& e) {
    error = std::string("cannot serialize: ") + e.what();
    ok = false;
  }
  if (ok) ok = write_file(text, error);
  if (ok) {
    if (sent_.ok != nullptr) sent_.ok->add(1);
    return {};
  }
  if (sent_.error != nullptr) sent_.error->add(1);
  core::log(core::LogLevel::kWarn, "sink " + name_ + ": " + error);
  return {false, std::nullopt};
}

}  // namespace logtally::sinks
