#include "engine/engine.h"

#include <pthread.h>
#include <unistd.h>

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
#include "engine/progress.h"
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
  sigaddset(&set, SIGHUP);
  return set;
}

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Engine::Engine(const config::Config& config, RunOptions options)
    : config_(config), options_(std::move(options)), compiled_(config::compile(config_)) {
  store_ = std::make_unique<core::MetricStore>(compiled_.specs, compiled_.source_names,
                                               compiled_.pipeline_names, config_.workers,
                                               compiled_.native);
  sources_ = config::make_sources(config_, ingest::SourceMode{options_.once, options_.tee},
                                  &store_->self_metrics());
}

Engine::~Engine() {
  if (!stopped_) (void)stop();
}

core::Status Engine::start_runtime(bool first, uint64_t checkpoint_id) {
  // Two batches per worker in flight or queued, plus every batch the sources may hold at once
  // (the one each fills, and a second for envelope joins and Kafka: Source::batches_held()).
  size_t max_record = 0;
  size_t held = 0;
  for (const config::SourceConfig& s : config_.sources) {
    max_record = std::max(max_record, s.max_record_bytes);
  }
  for (const auto& s : sources_) held += s->batches_held();
  channel_ = std::make_unique<core::BatchChannel>(2 * config_.workers + held + 1,
                                                  ingest::batch_capacity_for(max_record));
  processor_ = std::make_unique<transforms::BatchProcessor>(compiled_.pipelines, *store_,
                                                            compiled_.source_names.size());
  processor_->set_tap(&tap_hub_);
  checkpointer_.reset();
  serve_new_checkpoint_ = false;
  if (!config_.checkpoint.dir.empty() && !options_.tap) {
    std::vector<ingest::Source*> raw;
    raw.reserve(sources_.size());
    for (auto& s : sources_) raw.push_back(s.get());
    checkpointer_ = std::make_unique<checkpoint::Checkpointer>(
        checkpoint::CheckpointConfig{config_.checkpoint.dir,
                                     std::chrono::milliseconds(config_.checkpoint.interval_millis),
                                     config_.checkpoint.serve_new_checkpoint},
        *channel_, *store_, std::move(raw));
    if (first) {
      // Restore before sources prepare (they resume at their saved positions); it publishes
      // the restored state for readers.
      core::Status st = checkpointer_->restore(options_.reset_state);
      if (!st) return st;
    } else {
      // A reload: the state moved over in memory; this checkpoint makes it durable under the
      // new config (new fingerprint, new source list) and publishes it.
      checkpointer_->continue_from(checkpoint_id);
      core::Status st = checkpointer_->checkpoint();
      if (!st) core::log(core::LogLevel::kError, "reload: " + st.error().message);
    }
    serve_new_checkpoint_ = config_.checkpoint.serve_new_checkpoint;
    // A source that must checkpoint before letting go of what it read (Kafka, on revoke) gets
    // the trigger; offsets are committed only once a checkpoint holding them is durable.
    for (auto& s : sources_) {
      s->set_checkpoint_trigger([cp = checkpointer_.get()] { return cp->checkpoint(); });
    }
  } else {
    store_->unpublish();  // Without checkpoints readers see the live state.
  }
  return core::Ok{};
}

std::shared_ptr<const sinks::RunningConfig> Engine::running_config() const {
  std::lock_guard lock(running_config_mu_);
  return running_config_;
}

core::Status Engine::start_sinks() {
  {
    // What the exporter's status page shows: the config in force from now on.
    auto rc = std::make_shared<sinks::RunningConfig>();
    rc->file = config_.file;
    rc->checkpoints = !config_.checkpoint.dir.empty();
    for (const config::SourceConfig& s : config_.sources) {
      rc->sources.push_back({s.name, s.type, s.spec ? s.spec->describe() : "", {}});
    }
    for (const config::PipelineConfig& p : config_.pipelines) {
      rc->pipelines.push_back({p.name, std::string(p.parser->type_name()), "", p.inputs});
    }
    for (const config::SinkConfig& s : config_.sinks) {
      rc->sinks.push_back({s.name, s.type, s.spec->describe(), {}});
    }
    std::lock_guard lock(running_config_mu_);
    running_config_ = std::move(rc);
  }
  // Stop the running sinks the config no longer has as they are (removed, or changed).
  std::vector<RunningSink> kept;
  for (RunningSink& r : sinks_) {
    bool same = false;
    for (const config::SinkConfig& s : config_.sinks)
      same = same || (s.name == r.name && s.yaml == r.yaml);
    if (same) {
      kept.push_back(std::move(r));
    } else {
      core::log(core::LogLevel::kInfo, "stopping sink " + r.name);
      r.sink->stop();
    }
  }
  sinks_ = std::move(kept);
  core::Status result = core::Ok{};
  // A batch run (--once) serves nothing, but pushing sinks run too: the push loop's stop()
  // flushes the final result to them.
  for (const config::SinkConfig& s : config_.sinks) {
    if (options_.tap) break;  // A tap run sends nothing anywhere.
    bool running = false;
    for (const RunningSink& r : sinks_) running = running || r.name == s.name;
    if (running) continue;
    std::unique_ptr<sinks::Sink> sink = s.spec->build(s.name, *store_);
    if (options_.once && !sink->pushes()) continue;
    sink->set_reload_handler([this] { return request_reload(); });
    sink->set_tap_hub(&tap_hub_);
    sink->set_running_config([this] { return running_config(); });
    core::Status st = sink->start();
    if (!st) {
      if (result) result = st;
      continue;
    }
    if (!options_.once) core::log(core::LogLevel::kInfo, "serving " + sink->describe());
    sinks_.push_back({s.name, s.yaml, std::move(sink)});
  }
  std::vector<sinks::PushSink*> pushing;
  for (RunningSink& r : sinks_) {
    if (sinks::PushSink* p = r.sink->as_push_sink()) pushing.push_back(p);
  }
  push_loop_ = std::make_unique<sinks::PushLoop>(*store_, pushing);
  return result;
}

core::Status Engine::start() {
  // `serve: new_checkpoint`: a read makes a checkpoint first. Readers (the exporter's threads)
  // also run during a reload, which replaces the checkpointer under runtime_mu_.
  store_->set_read_refresh([this] {
    std::shared_lock lock(runtime_mu_);
    if (checkpointer_ && serve_new_checkpoint_) checkpointer_->checkpoint_for_read();
  });
  core::Status st = start_runtime(/*first=*/true, 0);
  if (!st) return st;
  for (auto& s : sources_) {
    st = s->prepare();
    if (!st) return st;
  }

  const sigset_t signals = run_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (!options_.once) {  // A batch run does not reload (nor show reload metrics).
    core::SelfMetrics& self = store_->self_metrics();
    constexpr std::string_view kReloadHelp = "Config reloads (SIGHUP, POST /-/reload), by result.";
    reloads_ok_ =
        &self.counter("logtally_config_reloads_total", kReloadHelp, {{"result", "success"}});
    reloads_failed_ =
        &self.counter("logtally_config_reloads_total", kReloadHelp, {{"result", "failure"}});
    reload_last_ok_ = &self.gauge("logtally_config_last_reload_successful",
                                  "1 if the last config reload succeeded (or none was tried).");
    reload_last_time_ = &self.gauge("logtally_config_last_reload_success_timestamp_seconds",
                                    "When the config was last loaded successfully (Unix time).");
    reload_last_ok_->set(1);
    reload_last_time_->set(unix_seconds_now());
  }

  st = start_sinks();
  if (!st) return st;
  push_loop_->start();
  if (!options_.once && sinks_.empty()) {
    core::log(core::LogLevel::kWarn, "no sinks configured: metrics are only visible with --once");
  }
  core::BatchHandler* handler = processor_.get();
  if (options_.progress && options_.once) {
    // Sizes are known once the sources prepared (files opened at their start positions).
    progress_counter_ = std::make_unique<ProgressCounter>(*processor_, sources_.size());
    std::vector<std::string> names;
    std::vector<uint64_t> totals;
    for (size_t i = 0; i < sources_.size(); ++i) {
      names.push_back(config_.sources[i].name);
      totals.push_back(sources_[i]->bytes_to_read());
    }
    progress_ = std::make_unique<ProgressReporter>(std::move(names), std::move(totals),
                                                   *progress_counter_, STDERR_FILENO,
                                                   /*final_always=*/true);
    progress_->start();
    handler = progress_counter_.get();
  }
  pool_ = std::make_unique<core::WorkerPool>(*channel_, *handler, config_.workers);
  source_threads_.reserve(sources_.size());
  for (auto& s : sources_) {
    source_threads_.emplace_back([this, src = s.get()] { src->run(*channel_, stop_sources_); });
  }
  if (checkpointer_ && !options_.once) checkpointer_->start();
  for (auto& r : sinks_) r.sink->mark_ready();  // The exporter's /-/ready answers 200 from now.
  return core::Ok{};
}

void Engine::wait() {
  if (options_.once) return;  // stop() joins the sources, which end at the end of their input.
  const sigset_t signals = run_signals();
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      reload();
      continue;
    }
    core::log(core::LogLevel::kInfo,
              std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    break;
  }
  // Whoever still waits for a reload's validation gets an answer.
  uint64_t all = 0;
  {
    std::lock_guard lock(reload_mu_);
    all = reload_requested_;
  }
  finish_reload(false, "logtally is stopping", all);
}

core::Status Engine::request_reload() {
  std::unique_lock lock(reload_mu_);
  const uint64_t mine = ++reload_requested_;
  ::kill(::getpid(), SIGHUP);  // wait() takes it on the main thread.
  if (!reload_cv_.wait_for(lock, std::chrono::seconds(30),
                           [&] { return reload_validated_ >= mine; })) {
    return core::make_error(core::ErrorCode::kIo, "no answer within 30 s");
  }
  return reload_result_;
}

void Engine::finish_reload(bool ok, const std::string& error, uint64_t covering) {
  {
    std::lock_guard lock(reload_mu_);
    reload_validated_ = std::max(reload_validated_, covering);
    reload_result_ = ok ? core::Status(core::Ok{})
                        : core::Status(core::make_error(core::ErrorCode::kConfig, error));
  }
  reload_cv_.notify_all();
}

void Engine::stop_sources_and_workers() {
  stop_sources_.store(true);
  for (std::thread& t : source_threads_) t.join();
  source_threads_.clear();
  channel_->close();
  if (pool_) pool_->join();
}

void Engine::reload() {
  if (options_.once || reloads_ok_ == nullptr) return;
  // The POST /-/reload requests made before the file is read are answered by this reload.
  uint64_t covering = 0;
  {
    std::lock_guard lock(reload_mu_);
    covering = reload_requested_;
  }
  core::log(core::LogLevel::kInfo, "reload: reading the config again");
  core::Result<config::Config> loaded =
      options_.load_config ? options_.load_config()
                           : core::Result<config::Config>(core::make_error(
                                 core::ErrorCode::kConfig, "this run cannot reload its config"));
  if (!loaded) {
    // The errors name file, line and column (config::Reader).
    core::log(core::LogLevel::kError,
              "reload refused, the running config goes on:\n" + loaded.error().message);
    reloads_failed_->add(1);
    reload_last_ok_->set(0);
    finish_reload(false, loaded.error().message, covering);
    return;
  }
  finish_reload(true, "", covering);
  const auto t0 = std::chrono::steady_clock::now();

  // The barrier: every line read so far is counted, and nothing else runs.
  stop_sources_and_workers();
  uint64_t checkpoint_id = 0;
  if (checkpointer_) {
    checkpointer_->stop();
    core::Status st = checkpointer_->checkpoint();
    if (!st) core::log(core::LogLevel::kError, "reload: " + st.error().message);
    checkpoint_id = checkpointer_->last_id();
  }
  // The pushing sinks get what was counted before the reload (with checkpoints, that durable
  // state); those kept resume from the same state under the new push loop.
  push_loop_->stop();
  push_loop_.reset();

  // The new runtime. The store keeps the series of unchanged metrics (MetricStore::reconfigure).
  const config::Config previous = config_;
  config_ = std::move(*loaded);
  processor_.reset();
  // Readers asking for a checkpoint wait until the new checkpointer is in place.
  std::unique_lock runtime(runtime_mu_);
  checkpointer_.reset();
  compiled_ = config::compile(config_);
  store_->reconfigure(core::MetricStore(compiled_.specs, compiled_.source_names,
                                        compiled_.pipeline_names, config_.workers,
                                        compiled_.native));
  // Sources by name: a new source object resumes where the old one stopped. stdin (which no
  // checkpoint can resume) has stopped at a line boundary and the new one reads on.
  std::vector<std::unique_ptr<ingest::Source>> next = config::make_sources(
      config_, ingest::SourceMode{options_.once, options_.tee}, &store_->self_metrics());
  for (size_t j = 0; j < next.size(); ++j) {
    for (size_t i = 0; i < sources_.size(); ++i) {
      if (previous.sources[i].name != config_.sources[j].name) continue;
      if (!sources_[i]->checkpointable()) continue;
      const std::unique_ptr<ingest::Source>& n = next[j];
      core::Status st = n->restore_state(sources_[i]->checkpoint_state());
      if (!st) {
        core::log(core::LogLevel::kError,
                  "reload: source " + n->describe() +
                      " cannot take over its position: " + st.error().message);
      }
    }
  }
  sources_.clear();  // Closes files and consumers (Kafka commits what the checkpoint holds).
  sources_ = std::move(next);
  stop_sources_.store(false);

  bool ok = true;
  std::string error;
  core::Status st = start_runtime(/*first=*/false, checkpoint_id);
  runtime.unlock();
  if (!st) {
    ok = false;
    error = st.error().message;
  }
  // A source that cannot prepare is logged and left stopped; the others run.
  std::vector<ingest::Source*> prepared;
  for (auto& s : sources_) {
    core::Status ps = s->prepare();
    if (ps) {
      prepared.push_back(s.get());
    } else {
      ok = false;
      error += (error.empty() ? "" : "; ") + ps.error().message;
    }
  }
  st = start_sinks();
  if (!st) {
    ok = false;
    error += (error.empty() ? "" : "; ") + st.error().message;
  }
  push_loop_->start();
  pool_ = std::make_unique<core::WorkerPool>(*channel_, *processor_, config_.workers);
  for (ingest::Source* src : prepared) {
    source_threads_.emplace_back([this, src] { src->run(*channel_, stop_sources_); });
  }
  if (checkpointer_) checkpointer_->start();
  for (auto& r : sinks_) r.sink->mark_ready();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (ok) {
    reloads_ok_->add(1);
    reload_last_ok_->set(1);
    reload_last_time_->set(unix_seconds_now());
    core::log(core::LogLevel::kInfo, "reload: config " + config_.file + " applied in " +
                                         std::to_string(static_cast<int>(ms)) + " ms");
  } else {
    reloads_failed_->add(1);
    reload_last_ok_->set(0);
    core::log(core::LogLevel::kError, "reload: applied with errors: " + error);
  }
}

core::Status Engine::stop() {
  if (stopped_) return core::Ok{};
  stopped_ = true;
  if (!options_.once) stop_sources_.store(true);
  for (std::thread& t : source_threads_) t.join();
  source_threads_.clear();
  if (channel_) channel_->close();
  if (pool_) pool_->join();
  if (progress_) progress_->stop();  // The final figures, before anything else is printed.
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
  tap_hub_.finish_all();  // Every record is traced: tap readers end their streams.
  if (options_.once && !options_.tap && pool_ && result) {
    const std::string text = sinks::to_text(*store_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  for (auto& r : sinks_) r.sink->stop();
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
