// logtally's command line: run (default), check, config-reference, version, help.
//
// Exit codes: 0 success; 1 a config or runtime error (printed to stderr); 2 a usage error.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/checkpointer.h"
#include "config/build.h"
#include "config/config.h"
#include "config/options.h"
#include "config/registry.h"
#include "core/batch_channel.h"
#include "core/log.h"
#include "core/metric_store.h"
#include "core/worker_pool.h"
#include "ingest/kafka_source.h"
#include "ingest/line_reader.h"
#include "sinks/exposition/exposition.h"
#include "sinks/push_loop.h"
#include "transforms/pipeline.h"

namespace {

using namespace logtally;

constexpr const char* kUsage = R"(logtally: turns streams of log lines into metrics.

Usage:
  logtally [run] [--config FILE] [--once] [--tee] [--reset-state]
  logtally check [--config FILE]
  logtally config-reference
  logtally --version | --help

With no config, logtally reads JSON lines from stdin, counts log_records_total{level} (level from
`level`, `severity` or `lvl`, lower-cased; `unknown` when absent) and serves it on
http://0.0.0.0:9898/metrics:   my-app | logtally

Commands:
  run               Run the pipelines (the default command).
  check             Validate the config and print the compiled pipelines; exit 0 if valid, 1 if not.
  config-reference  Print every config key (Markdown), generated from the option tables.

Options:
  -c, --config FILE  YAML config (default: the embedded config above).
  --once             Read every input to its end, print the final metrics (Prometheus text
                     format, self-metrics included) to stdout, and exit. Serving sinks (the
                     exporter) are not started; pushing sinks (remote_write, pushgateway,
                     statsd) push the final state before exit.
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

int run(const Options& opts) {
  core::Result<config::Config> cfg = load(opts);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return 1;
  }
  const config::Compiled compiled = config::compile(*cfg);
  const size_t workers = cfg->workers;
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, workers,
                          compiled.native);
  transforms::BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());

  size_t max_record = 0;
  for (const config::SourceConfig& s : cfg->sources)
    max_record = std::max(max_record, s.max_record_bytes);
  // Two batches per worker in flight or queued, plus one being filled per source.
  // A source with a container envelope or a Kafka source holds a second batch (see
  // ingest/line_reader.h, ingest/batch_writer.h).
  size_t second_batches = 0;
  for (const config::SourceConfig& s : cfg->sources) {
    if (s.format != ingest::EnvelopeFormat::kNone || s.type == config::SourceConfig::Type::kKafka)
      ++second_batches;
  }
  core::BatchChannel channel(2 * workers + cfg->sources.size() + second_batches + 1,
                             ingest::batch_capacity_for(max_record));

  auto sources =
      config::make_sources(*cfg, ingest::SourceMode{opts.once, opts.tee}, &store.self_metrics());
  // Checkpoints: restore before sources prepare (they resume at their saved positions).
  std::unique_ptr<checkpoint::Checkpointer> checkpointer;
  if (!cfg->checkpoint.dir.empty()) {
    std::vector<ingest::Source*> raw;
    raw.reserve(sources.size());
    for (auto& s : sources) raw.push_back(s.get());
    checkpointer = std::make_unique<checkpoint::Checkpointer>(
        checkpoint::CheckpointConfig{cfg->checkpoint.dir,
                                     std::chrono::milliseconds(cfg->checkpoint.interval_millis)},
        channel, store, std::move(raw));
    core::Status st = checkpointer->restore(opts.reset_state);
    if (!st) {
      std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
      return 1;
    }
    // A Kafka source checkpoints before letting revoked partitions go, and commits offsets
    // only once a checkpoint holding them is durable (docs/ingest-kafka.md).
    for (auto& s : sources) {
      if (auto* kafka = dynamic_cast<ingest::KafkaSource*>(s.get())) {
        kafka->set_checkpoint_trigger([cp = checkpointer.get()] { return cp->checkpoint(); });
      }
    }
  }
  for (auto& s : sources) {
    core::Status st = s->prepare();
    if (!st) {
      std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
      return 1;
    }
  }

  // SIGINT and SIGTERM are taken by the main thread with sigwait(); every thread started
  // below inherits the blocked mask, so no other thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // A batch run (--once) serves nothing, but pushing sinks run too: the push loop's stop()
  // flushes the final result to them.
  std::vector<std::unique_ptr<sinks::Sink>> sinks;
  std::vector<sinks::PushSink*> pushing;
  for (auto& sink : config::make_sinks(*cfg, store)) {
    if (opts.once && !sink->pushes()) continue;
    core::Status st = sink->start();
    if (!st) {
      std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
      return 1;
    }
    if (!opts.once) core::log(core::LogLevel::kInfo, "serving " + sink->describe());
    if (auto* p = dynamic_cast<sinks::PushSink*>(sink.get())) pushing.push_back(p);
    sinks.push_back(std::move(sink));
  }
  sinks::PushLoop push_loop(store, pushing);
  push_loop.start();
  if (!opts.once && sinks.empty()) {
    core::log(core::LogLevel::kWarn, "no sinks configured: metrics are only visible with --once");
  }

  core::WorkerPool pool(channel, processor, workers);
  std::atomic<bool> stop{false};
  std::vector<std::thread> source_threads;
  source_threads.reserve(sources.size());
  for (auto& s : sources) {
    source_threads.emplace_back([&channel, &stop, src = s.get()] { src->run(channel, stop); });
  }
  if (checkpointer && !opts.once) checkpointer->start();
  for (auto& sink : sinks) sink->mark_ready();  // The exporter's /-/ready answers 200 from now.

  if (!opts.once) {
    int sig = 0;
    sigwait(&signals, &sig);
    core::log(core::LogLevel::kInfo,
              std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    stop.store(true);
  }
  for (std::thread& t : source_threads) t.join();
  channel.close();
  pool.join();
  if (checkpointer) {
    // Everything read is counted and no source runs: the final checkpoint is exact.
    checkpointer->stop();
    core::Status st = checkpointer->checkpoint();
    if (!st) {
      std::fprintf(stderr, "logtally: final %s\n", st.error().message.c_str());
      if (opts.once) return 1;
    }
  }

  if (opts.once) {
    const std::string text = sinks::to_text(store);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  push_loop.stop();  // The final flush of every pushing sink.
  for (auto& sink : sinks) sink->stop();
  return 0;
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
  if (opts.command != "run") return usage_error("unknown command '" + opts.command + "'");
  if (opts.tee && opts.once) {
    return usage_error("--tee and --once both write to stdout; use one of them");
  }
  return run(opts);
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
