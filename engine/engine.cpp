#include "engine/engine.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include "checkpoint/checkpointer.h"
#include "core/batch_channel.h"
#include "core/log.h"
#include "core/metric_store.h"
#include "core/worker_pool.h"
#include "ingest/line_reader.h"
#include "ingest/source.h"
#include "sinks/exposition/exposition.h"
#include "sinks/push_loop.h"
#include "sinks/sink.h"
#include "transforms/pipeline.h"

namespace logtally::engine {

namespace {

// The signals wait() takes; blocked in every thread (threads inherit the mask of their creator).
sigset_t run_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

Engine::Engine(const config::Config& config, RunOptions options)
    : config_(config), options_(options), compiled_(config::compile(config_)) {
  const size_t workers = config_.workers;
  store_ = std::make_unique<core::MetricStore>(compiled_.specs, compiled_.source_names,
                                               compiled_.pipeline_names, workers, compiled_.native);
  processor_ = std::make_unique<transforms::BatchProcessor>(compiled_.pipelines, *store_,
                                                            compiled_.source_names.size());
  sources_ = config::make_sources(config_, ingest::SourceMode{options_.once, options_.tee},
                                  &store_->self_metrics());
  // Two batches per worker in flight or queued, plus every batch the sources may hold at once
  // (the one each fills, and a second for envelope joins and Kafka: Source::batches_held()).
  size_t max_record = 0;
  size_t held = 0;
  for (const config::SourceConfig& s : config_.sources) {
    max_record = std::max(max_record, s.max_record_bytes);
  }
  for (const auto& s : sources_) held += s->batches_held();
  channel_ = std::make_unique<core::BatchChannel>(2 * workers + held + 1,
                                                  ingest::batch_capacity_for(max_record));
}

Engine::~Engine() {
  if (!stopped_) (void)stop();
}

core::Status Engine::start() {
  // Checkpoints: restore before sources prepare (they resume at their saved positions).
  if (!config_.checkpoint.dir.empty()) {
    std::vector<ingest::Source*> raw;
    raw.reserve(sources_.size());
    for (auto& s : sources_) raw.push_back(s.get());
    checkpointer_ = std::make_unique<checkpoint::Checkpointer>(
        checkpoint::CheckpointConfig{config_.checkpoint.dir,
                                     std::chrono::milliseconds(config_.checkpoint.interval_millis),
                                     config_.checkpoint.serve_new_checkpoint},
        *channel_, *store_, std::move(raw));
    core::Status st = checkpointer_->restore(options_.reset_state);
    if (!st) return st;
    if (config_.checkpoint.serve_new_checkpoint) {
      store_->set_read_refresh([cp = checkpointer_.get()] { cp->checkpoint_for_read(); });
    }
    // A source that must checkpoint before letting go of what it read (Kafka, on revoke) gets
    // the trigger; offsets are committed only once a checkpoint holding them is durable.
    for (auto& s : sources_) {
      s->set_checkpoint_trigger([cp = checkpointer_.get()] { return cp->checkpoint(); });
    }
  }
  for (auto& s : sources_) {
    core::Status st = s->prepare();
    if (!st) return st;
  }

  const sigset_t signals = run_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // A batch run (--once) serves nothing, but pushing sinks run too: the push loop's stop()
  // flushes the final result to them.
  std::vector<sinks::PushSink*> pushing;
  for (auto& sink : config::make_sinks(config_, *store_)) {
    if (options_.once && !sink->pushes()) continue;
    core::Status st = sink->start();
    if (!st) return st;
    if (!options_.once) core::log(core::LogLevel::kInfo, "serving " + sink->describe());
    if (sinks::PushSink* p = sink->as_push_sink()) pushing.push_back(p);
    sinks_.push_back(std::move(sink));
  }
  push_loop_ = std::make_unique<sinks::PushLoop>(*store_, pushing);
  push_loop_->start();
  if (!options_.once && sinks_.empty()) {
    core::log(core::LogLevel::kWarn, "no sinks configured: metrics are only visible with --once");
  }

  pool_ = std::make_unique<core::WorkerPool>(*channel_, *processor_, config_.workers);
  source_threads_.reserve(sources_.size());
  for (auto& s : sources_) {
    source_threads_.emplace_back([this, src = s.get()] { src->run(*channel_, stop_sources_); });
  }
  if (checkpointer_ && !options_.once) checkpointer_->start();
  for (auto& sink : sinks_) sink->mark_ready();  // The exporter's /-/ready answers 200 from now.
  return core::Ok{};
}

void Engine::wait() {
  if (options_.once) return;  // stop() joins the sources, which end at the end of their input.
  const sigset_t signals = run_signals();
  int sig = 0;
  sigwait(&signals, &sig);
  core::log(core::LogLevel::kInfo,
            std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
}

core::Status Engine::stop() {
  if (stopped_) return core::Ok{};
  stopped_ = true;
  if (!options_.once) stop_sources_.store(true);
  for (std::thread& t : source_threads_) t.join();
  source_threads_.clear();
  channel_->close();
  if (pool_) pool_->join();
  core::Status result = core::Ok{};
  if (checkpointer_) checkpointer_->stop();
  auto final_checkpoint = [&] {
    if (!checkpointer_ || !pool_ || !result) return;
    // Everything read is counted and no source runs: the final checkpoint is exact.
    core::Status st = checkpointer_->checkpoint();
    if (!st) result = core::make_error(st.error().code, "final " + st.error().message);
  };
  // With checkpoints, the final state is made durable (and so published) before the last push
  // sends it: a pushed backend sees nothing a crash could take back. A second checkpoint then
  // keeps that push's own sink counters.
  final_checkpoint();
  if (push_loop_) {
    push_loop_->stop();
    if (push_loop_->pushed()) final_checkpoint();
  }
  if (options_.once && pool_ && result) {
    const std::string text = sinks::to_text(*store_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  for (auto& sink : sinks_) sink->stop();
  return result;
}

int run(const config::Config& config, const RunOptions& options) {
  Engine engine(config, options);
  core::Status st = engine.start();
  if (!st) {
    std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
    (void)engine.stop();
    return 1;
  }
  engine.wait();
  st = engine.stop();
  if (!st) {
    std::fprintf(stderr, "logtally: %s\n", st.error().message.c_str());
    // A failed final checkpoint fails a batch run; a service was asked to stop and did.
    if (options.once) return 1;
  }
  return 0;
}

}  // namespace logtally::engine
