#include "cli/test_command.h"

#include <re2/re2.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <memory>

#include "config/build.h"
#include "core/batch_channel.h"
#include "core/metric_store.h"
#include "core/worker_pool.h"
#include "engine/progress.h"
#include "ingest/file/config.h"
#include "ingest/file/file_source.h"
#include "ingest/line_reader.h"
#include "ingest/multiline.h"
#include "sinks/exposition/exposition.h"
#include "transforms/pipeline.h"

namespace logtally::cli {

const std::string* TestMetrics::find(const std::string& key) const {
  auto it = std::lower_bound(series.begin(), series.end(), key,
                             [](const auto& s, const std::string& k) { return s.first < k; });
  return it != series.end() && it->first == key ? &it->second : nullptr;
}

namespace {

// The input as a file descriptor LineReader can read: an anonymous in-memory file.
int memory_fd(const std::string& input) {
  const int fd = ::memfd_create("logtally-test-input", MFD_CLOEXEC);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

TestMetrics parse_exposition(const std::string& text) {
  TestMetrics m;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line = std::string_view(text).substr(at, nl - at);
    at = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    SeriesId id;
    double value = 0;
    std::string error;
    size_t error_at = 0;
    if (!parse_series(line, true, id, value, error, error_at)) continue;
    const size_t space = line.rfind(' ');
    m.series.emplace_back(id.key(), std::string(line.substr(space + 1)));
  }
  std::sort(m.series.begin(), m.series.end());
  return m;
}

bool same_value(double wanted, const std::string& actual_text) {
  double actual = 0;
  if (!parse_sample_value(actual_text, actual)) return false;
  if (std::isnan(wanted) || std::isnan(actual)) return std::isnan(wanted) && std::isnan(actual);
  return wanted == actual;
}

std::string where(const std::string& file, config::Location at) {
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

}  // namespace

TestMetrics run_input(const config::Config& cfg, size_t source, const std::string& input,
                      const std::string& path, bool progress) {
  const config::Compiled compiled = config::compile(cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1,
                          compiled.native);
  transforms::BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());
  const config::SourceConfig& src = cfg.sources[source];
  core::BatchChannel channel(4, ingest::batch_capacity_for(src.max_record_bytes));
  // Progress only for inputs that take a while: nothing is drawn within the first interval.
  engine::ProgressCounter counter(processor, compiled.source_names.size());
  std::unique_ptr<engine::ProgressReporter> reporter;
  if (progress) {
    std::vector<std::string> names(compiled.source_names.size());
    names[source] = compiled.source_names[source];
    std::vector<uint64_t> totals(compiled.source_names.size(), 0);
    totals[source] = input.size();
    reporter = std::make_unique<engine::ProgressReporter>(
        std::move(names), std::move(totals), counter, STDERR_FILENO, /*final_always=*/false);
    reporter->start();
  }
  {
    core::WorkerPool pool(channel, counter, 1);
    ingest::LineReader reader(channel, static_cast<uint32_t>(source), src.max_record_bytes,
                              src.format, src.multiline.get(),
                              src.multiline
                                  ? ingest::TruncatedCounters::make(&store.self_metrics(), src.name)
                                  : ingest::TruncatedCounters{});
    // A file source's lines carry the fields of their file's path.
    std::string file = path;
    const auto* file_spec = dynamic_cast<const ingest::FileSourceConfig*>(src.spec.get());
    if (file_spec != nullptr) {
      if (file.empty()) file = file_spec->path;
      if (!file.empty()) {
        std::unique_ptr<re2::RE2> pattern;
        if (!file_spec->path_pattern.empty()) {
          pattern = std::make_unique<re2::RE2>(file_spec->path_pattern, re2::RE2::Quiet);
        }
        reader.set_fields(ingest::file_source_fields(file, pattern.get()));
      }
    }
    const int fd = memory_fd(input);
    if (fd >= 0) {
      for (;;) {
        const ssize_t n = reader.read_from(fd);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;
        break;
      }
      ::close(fd);
    }
    reader.finish();
    channel.close();
    pool.join();
  }
  if (reporter) reporter->stop();
  return parse_exposition(sinks::to_text(store));
}

int run_test_files(const std::string& config_override, const std::vector<std::string>& files,
                   std::FILE* out, std::FILE* err, bool progress) {
  size_t passed = 0;
  size_t failed = 0;
  bool broken = false;
  for (const std::string& file : files) {
    core::Result<TestFile> tf = load_test_file(file);
    if (!tf) {
      std::fprintf(err, "%s\n", tf.error().message.c_str());
      broken = true;
      continue;
    }
    core::Result<config::Config> cfg =
        !config_override.empty() ? config::load_config_file(config_override)
        : !tf->config_path.empty()
            ? config::load_config_file(tf->config_path)
            : config::load_config_text(config::default_config_text(), "<default config>");
    if (!cfg) {
      std::fprintf(err, "%s\n", cfg.error().message.c_str());
      if (config_override.empty() && !tf->config_path.empty()) {
        std::fprintf(err, "%s: (the config of this test file)\n",
                     where(file, tf->config_at).c_str());
      }
      broken = true;
      continue;
    }
    // Each test's source, checked before any test runs.
    std::vector<size_t> sources;
    std::vector<std::string> errors;
    std::string names;
    for (const config::SourceConfig& s : cfg->sources)
      names += (names.empty() ? "" : ", ") + s.name;
    for (const TestCase& t : tf->tests) {
      size_t index = cfg->sources.size();
      if (t.source.empty()) {
        if (cfg->sources.size() == 1) {
          index = 0;
        } else {
          errors.push_back(where(file, t.at) + ": test '" + t.name +
                           "': expected `source:`, the config has several sources: " + names);
        }
      } else {
        for (size_t i = 0; i < cfg->sources.size(); ++i) {
          if (cfg->sources[i].name == t.source) index = i;
        }
        if (index == cfg->sources.size()) {
          errors.push_back(where(file, t.source_at) + ": test '" + t.name +
                           "' source: no source named '" + t.source + "'; sources are: " + names);
        }
      }
      sources.push_back(index);
    }
    if (!errors.empty()) {
      for (const std::string& e : errors) std::fprintf(err, "%s\n", e.c_str());
      broken = true;
      continue;
    }
    for (size_t i = 0; i < tf->tests.size(); ++i) {
      const TestCase& t = tf->tests[i];
      const TestMetrics got = run_input(*cfg, sources[i], t.input, t.path, progress);
      std::vector<std::string> wrong;
      for (const ExpectedSeries& e : t.expect) {
        const std::string key = e.id.key();
        const std::string* actual = got.find(key);
        if (actual == nullptr) {
          wrong.push_back(where(file, e.at) + ": " + key + ": wanted " + e.value_text +
                          ", got absent");
        } else if (!same_value(e.value, *actual)) {
          wrong.push_back(where(file, e.at) + ": " + key + ": wanted " + e.value_text + ", got " +
                          *actual);
        }
      }
      for (const ExpectedSeries& a : t.absent) {
        const std::string key = a.id.key();
        if (const std::string* actual = got.find(key)) {
          wrong.push_back(where(file, a.at) + ": " + key + ": wanted absent, got present (" +
                          *actual + ")");
        }
      }
      if (wrong.empty()) {
        ++passed;
        std::fprintf(out, "PASS %s\n", t.name.c_str());
      } else {
        ++failed;
        std::fprintf(out, "FAIL %s\n", t.name.c_str());
        for (const std::string& w : wrong) std::fprintf(out, "  %s\n", w.c_str());
      }
      std::fflush(out);
    }
  }
  std::fprintf(out, "%zu passed, %zu failed\n", passed, failed);
  return (failed == 0 && !broken) ? 0 : 1;
}

}  // namespace logtally::cli
