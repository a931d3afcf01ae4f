#include "engine/progress.h"

#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace logtally::engine {

ProgressCounter::ProgressCounter(core::BatchHandler& inner, size_t sources)
    : inner_(inner), counts_(new Counts[sources == 0 ? 1 : sources]) {}

void ProgressCounter::handle(size_t worker, const core::Batch& batch) {
  inner_.handle(worker, batch);
  Counts& c = counts_[batch.source];
  c.lines.fetch_add(batch.record_count() + batch.too_long + batch.bad_envelope,
                    std::memory_order_relaxed);
  c.bytes.fetch_add(batch.bytes_read, std::memory_order_relaxed);
}

namespace {

std::string human_bytes(double b) {
  const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  size_t u = 0;
  while (b >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string human_duration(double s) {
  char buf[32];
  const auto t = static_cast<uint64_t>(std::llround(s));
  if (t < 60) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 "s", t);
  } else if (t < 3600) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 "m%02" PRIu64 "s", t / 60, t % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 "h%02" PRIu64 "m", t / 3600, (t % 3600) / 60);
  }
  return buf;
}

bool write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::vector<std::string> progress_lines(const std::vector<SourceProgress>& sources,
                                        double elapsed) {
  std::vector<std::string> out;
  for (const SourceProgress& s : sources) {
    std::string line = s.name + ": ";
    if (s.total_bytes > 0) {
      const double pct =
          s.bytes >= s.total_bytes ? 100.0 : 100.0 * static_cast<double>(s.bytes) / s.total_bytes;
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.1f%% of ", pct);
      line += buf + human_bytes(static_cast<double>(s.total_bytes)) + ", ";
    }
    line += human_bytes(static_cast<double>(s.bytes)) + ", " + std::to_string(s.lines) + " lines";
    if (elapsed > 0) {
      const double rate = static_cast<double>(s.bytes) / elapsed;
      line += ", " + human_bytes(rate) + "/s, " +
              std::to_string(static_cast<uint64_t>(static_cast<double>(s.lines) / elapsed)) +
              " lines/s";
      if (s.total_bytes > 0 && rate > 0) {
        const double left =
            s.bytes >= s.total_bytes ? 0 : static_cast<double>(s.total_bytes - s.bytes) / rate;
        line += ", " + human_duration(left) + " left";
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

ProgressReporter::ProgressReporter(std::vector<std::string> names, std::vector<uint64_t> totals,
                                   const ProgressCounter& counter, int fd, bool final_always,
                                   std::chrono::milliseconds interval)
    : names_(std::move(names)),
      totals_(std::move(totals)),
      counter_(counter),
      fd_(fd),
      final_always_(final_always),
      interval_(interval) {}

ProgressReporter::~ProgressReporter() { stop(); }

void ProgressReporter::start() {
  start_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) draw(false);
  });
}

void ProgressReporter::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (drew_ || final_always_) draw(true);
}

void ProgressReporter::draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::vector<SourceProgress> now;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i].empty()) continue;  // Not shown (a test reads one source only).
    now.push_back({names_[i], counter_.lines(i), counter_.bytes(i), totals_[i]});
  }
  std::string text;
  // Back to the first line of the previous drawing, then each line over the old one.
  if (drawn_lines_ > 1) text += "\033[" + std::to_string(drawn_lines_ - 1) + "A";
  const std::vector<std::string> lines = progress_lines(now, elapsed);
  for (size_t i = 0; i < lines.size(); ++i) {
    text += "\r\033[K" + lines[i];
    if (i + 1 < lines.size()) text += '\n';
  }
  if (final) text += '\n';
  drawn_lines_ = lines.size();
  drew_ = true;
  (void)write_all(fd_, text);
}

}  // namespace logtally::engine
