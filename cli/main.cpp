// logtally's command line: run (default), check, config-reference, version, help. Parses the
// flags and hands over: the run loop is engine/engine.h.
//
// Exit codes: 0 success; 1 a config or runtime error (printed to stderr); 2 a usage error.
#include <unistd.h>
#include <cmath>
#include <cstdint>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/tap.h"
#include "cli/test_command.h"
#include "config/build.h"
#include "config/config.h"
#include "config/registry.h"
#include "engine/backfill.h"
#include "engine/engine.h"
#include "monitoring/dashboard.h"
#include "monitoring/rules.h"

namespace {

using namespace logtally;

constexpr const char* kUsage = R"(logtally: turns streams of log lines into metrics.

Usage:
  logtally [run] [--config FILE] [--once] [--tee] [--reset-state]
  logtally check [--config FILE]
  logtally test [--config FILE] TESTFILE...
  logtally tap [--config FILE] [--pipeline NAME] [--limit N]
  logtally config-reference
  logtally rules|dashboard [--config FILE]
  logtally backfill --config FILE --step DURATION [--out FILE] [--remote-write URL]
                    [--remote-write-batch N] [--max-samples N]
  logtally --version | --help

With no config, logtally reads JSON lines from stdin, counts log_records_total{level} (level from
`level`, `severity` or `lvl`, lower-cased; `unknown` when absent) and serves it on
http://0.0.0.0:9898/metrics:   my-app | logtally

Commands:
  run               Run the pipelines (the default command).
  check             Validate the config and print the compiled pipelines; exit 0 if valid, 1 if not.
  config-reference  Print every config key (Markdown), generated from the option tables.
  test              Run the unit tests of test files (docs/testing.md): PASS/FAIL per test, then
                    "N passed, M failed"; exit 0 only if all pass. --config overrides each
                    file's `config:`.
  tap               Read the inputs like --once and print, instead of the metrics, one JSON
                    object per record and pipeline: the fields read, the outcome (counted,
                    filtered, dropped with its reason) and every metric update
                    (docs/testing.md). No checkpoint is read or written, no sink runs.
                    --pipeline NAME: only that pipeline; --limit N: stop after N objects.
  rules             Print the Prometheus rules of the config's SLOs (docs/slos.md).
  dashboard         Print a Grafana dashboard: the config's SLOs and metrics (docs/slos.md).
  backfill          Read every input to its end and write OpenMetrics history for
                    `promtool tsdb create-blocks-from openmetrics`: each series' value at every
                    multiple of --step, counting the records whose own time (the pipelines'
                    `timestamp:`) is before it (docs/backfill.md). --out - writes to stdout;
                    --max-samples (default 50000000) refuses a larger output.
                    --remote-write URL sends the same samples to a Prometheus remote write
                    receiver that accepts old samples (with --out, or instead of it), boundary
                    by boundary, --remote-write-batch samples a request at most (default 5000).
                    Auth, TLS and backoff come from a prometheus_remote_write sink of the config
                    with the same url, if any. A refused request (4xx but 429) stops the run;
                    5xx, 429 and network errors are retried 6 times with backoff.

Options:
  -c, --config FILE  YAML config (default: the embedded config above).
  --once             Read every input to its end, print the final metrics (Prometheus text
                     format, self-metrics included) to stdout, and exit. Serving sinks (the
                     exporter) are not started; pushing sinks (remote_write, pushgateway,
                     statsd) push the final state before exit. When stderr is a terminal,
                     progress is shown there (as for tap and test).
  --tee              Copy stdin to stdout unchanged while counting (not with --once).
  --reset-state      If the checkpoint (config `checkpoint: dir`) is corrupt or was written for
                     other metrics, move it aside and start fresh instead of refusing to start.
  -h, --help         This text.
  --version          Print the version.
)";

struct Options {
  std::string command = "run";
  std::string config_path;
  bool once = false;
  bool tee = false;
  bool reset_state = false;
  std::vector<std::string> files;      ///< test: the test files.
  std::string pipeline;                ///< tap: --pipeline.
  uint64_t limit = 0;                  ///< tap: --limit (0: none).
  std::string step;                    ///< backfill: --step.
  std::string out;                     ///< backfill: --out.
  uint64_t max_samples = 50'000'000;   ///< backfill: --max-samples.
  std::string remote_write;            ///< backfill: --remote-write.
  uint64_t remote_write_batch = 5000;  ///< backfill: --remote-write-batch.
};

int usage_error(const std::string& message) {
  std::fprintf(stderr, "logtally: %s\nRun 'logtally --help' for usage.\n", message.c_str());
  return 2;
}

core::Result<config::Config> load(const Options& opts) {
  if (opts.config_path.empty()) {
    return config::load_config_text(config::default_config_text(), "<default config>");
  }
  return config::load_config_file(opts.config_path);
}

int check(const Options& opts) {
  core::Result<config::Config> cfg = load(opts);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 1;
  }
  const config::Compiled compiled = config::compile(*cfg);
  std::cout << config::describe(*cfg, compiled);
  return 0;
}

}  // namespace

static int main_with_args(int argc, char** argv) {
  Options opts;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (i < args.size() && !args[i].empty() && args[i][0] != '-') {
    opts.command = args[i++];
  }
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("logtally %s\n", LOGTALLY_VERSION);
      return 0;
    } else if (a == "--once") {
      opts.once = true;
    } else if (a == "--tee") {
      opts.tee = true;
    } else if (a == "--reset-state") {
      opts.reset_state = true;
    } else if (a == "-c" || a == "--config") {
      if (i + 1 >= args.size()) return usage_error(a + " needs a file name");
      opts.config_path = args[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      opts.config_path = a.substr(9);
    } else if (opts.command == "tap" && a == "--pipeline") {
      if (i + 1 >= args.size()) return usage_error(a + " needs a pipeline name");
      opts.pipeline = args[++i];
    } else if (opts.command == "tap" && a == "--limit") {
      if (i + 1 >= args.size()) return usage_error(a + " needs a number");
      const std::string& n = args[++i];
      char* end = nullptr;
      opts.limit = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || n[0] == '-' || opts.limit == 0) {
        return usage_error("--limit needs a positive number, got '" + n + "'");
      }
    } else if (opts.command == "backfill" &&
               (a == "--step" || a == "--out" || a == "--remote-write")) {
      if (i + 1 >= args.size()) return usage_error(a + " needs a value");
      (a == "--step" ? opts.step : a == "--out" ? opts.out : opts.remote_write) = args[++i];
    } else if (opts.command == "backfill" &&
               (a == "--max-samples" || a == "--remote-write-batch")) {
      if (i + 1 >= args.size()) return usage_error(a + " needs a number");
      const std::string& n = args[++i];
      char* end = nullptr;
      uint64_t& v = a == "--max-samples" ? opts.max_samples : opts.remote_write_batch;
      v = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || n[0] == '-' || v == 0) {
        return usage_error(a + " needs a positive number, got '" + n + "'");
      }
    } else if (opts.command == "test" && (a.empty() || a[0] != '-')) {
      opts.files.push_back(a);
    } else {
      return usage_error("unknown argument '" + a + "'");
    }
  }
  if (opts.command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (opts.command == "version") {
    std::printf("logtally %s\n", LOGTALLY_VERSION);
    return 0;
  }
  if (opts.command == "config-reference") {
    std::cout << logtally::config::config_reference_markdown();
    return 0;
  }
  if (opts.command == "check") return check(opts);
  if (opts.command == "test") {
    if (opts.files.empty()) return usage_error("test needs at least one test file");
    return cli::run_test_files(opts.config_path, opts.files, stdout, stderr,
                               ::isatty(STDERR_FILENO) == 1);
  }
  if (opts.command == "tap" || opts.command == "rules" || opts.command == "dashboard") {
    core::Result<config::Config> cfg = load(opts);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
      return 1;
    }
    if (opts.command == "tap") return cli::run_tap(*cfg, opts.pipeline, opts.limit);
    std::cout << (opts.command == "rules" ? monitoring::rules_yaml(*cfg)
                                          : monitoring::config_dashboard_json(*cfg));
    return 0;
  }
  if (opts.command == "backfill") {
    if (opts.config_path.empty()) return usage_error("backfill needs --config FILE");
    if (opts.step.empty()) return usage_error("backfill needs --step DURATION (e.g. 1m)");
    if (opts.out.empty() && opts.remote_write.empty()) {
      return usage_error("backfill needs --out FILE (- for stdout), --remote-write URL, or both");
    }
    if (!opts.remote_write.empty() && opts.remote_write.rfind("http://", 0) != 0 &&
        opts.remote_write.rfind("https://", 0) != 0) {
      return usage_error("--remote-write needs an http:// or https:// URL, got '" +
                         opts.remote_write + "'");
    }
    double step_s = 0;
    if (!transforms::parse_duration(opts.step, step_s) || step_s < 0.001 ||
        std::fabs(step_s * 1000 - std::round(step_s * 1000)) > 1e-6) {
      return usage_error(
          "--step needs a duration of whole milliseconds such as 15s or 1m, "
          "got '" +
          opts.step + "'");
    }
    core::Result<config::Config> cfg = load(opts);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
      return 1;
    }
    engine::BackfillOptions bo;
    bo.step_ms = static_cast<int64_t>(std::llround(step_s * 1000));
    bo.out = opts.out;
    bo.max_samples = opts.max_samples;
    bo.remote_write_url = opts.remote_write;
    bo.remote_write_batch = static_cast<size_t>(opts.remote_write_batch);
    core::Status st = engine::backfill(*cfg, bo);
    if (!st) {
      std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
      return 1;
    }
    return 0;
  }
  if (opts.command != "run") return usage_error("unknown command '" + opts.command + "'");
  if (opts.tee && opts.once) {
    return usage_error("--tee and --once both write to stdout; use one of them");
  }
  core::Result<config::Config> cfg = load(opts);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 1;
  }
  engine::RunOptions run_options;
  run_options.once = opts.once;
  run_options.tee = opts.tee;
  run_options.reset_state = opts.reset_state;
  run_options.progress = opts.once && ::isatty(STDERR_FILENO) == 1;
  // SIGHUP and POST /-/reload read the same file (or the embedded default) again.
  run_options.load_config = [opts] { return load(opts); };
  return engine::run(*cfg, run_options);
}

int main(int argc, char** argv) {
  // Exceptions never cross component boundaries on purpose; this is the last line of defence
  // (an allocation failure, a bug), so the process says what happened instead of aborting.
  try {
    return main_with_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "logtally: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "logtally: fatal: unknown exception\n");
  }
  return 1;
}
