#include "cli/tap.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <thread>
#include <vector>

#include "engine/engine.h"

namespace logtally::cli {

namespace {

// Writes all of `s` to stdout's descriptor; false once the reader went away (EPIPE).
bool write_all(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int run_tap(const config::Config& config, const std::string& pipeline, uint64_t limit) {
  if (!pipeline.empty()) {
    bool found = false;
    std::string names;
    for (const config::PipelineConfig& p : config.pipelines) {
      found = found || p.name == pipeline;
      names += (names.empty() ? "" : ", ") + p.name;
    }
    if (!found) {
      std::fprintf(stderr, "logtally: tap: no pipeline named '%s'; pipelines are: %s\n",
                   pipeline.c_str(), names.c_str());
      return 1;
    }
  }
  engine::RunOptions options;
  options.once = true;
  options.tap = true;
  options.progress = ::isatty(STDERR_FILENO) == 1;
  engine::Engine engine(config, options);
  // Lossless: stdout is the only output, so its reader's pace holds the workers back.
  const std::shared_ptr<core::TapSubscription> sub =
      engine.tap_hub().subscribe(pipeline, limit, /*lossless=*/true);
  core::Status st = engine.start();
  if (!st) {
    std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
    sub->close();
    (void)engine.stop();
    return 1;
  }
  // The objects go out on this thread while the main thread waits for the inputs to end. Once
  // the limit is reached (or stdout is gone), the sources are told to stop early.
  std::thread writer([&] {
    std::vector<std::string> lines;
    bool open = true;
    while (sub->wait(lines, std::chrono::milliseconds(200))) {
      std::string chunk;
      for (std::string& l : lines) {
        chunk += l;
        chunk += '\n';
      }
      lines.clear();
      if (open && !chunk.empty() && !write_all(chunk)) {
        open = false;
        sub->close();
      }
      if (!open || sub->ended()) engine.cancel();
    }
    engine.cancel();
  });
  st = engine.stop();
  writer.join();
  if (!st) {
    std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace logtally::cli
