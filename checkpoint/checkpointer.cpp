#include "checkpoint/checkpointer.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "checkpoint/checkpoint_file.h"
#include "core/log.h"

namespace logtally::checkpoint {

namespace {

constexpr const char* kCheckpointsTotal = "logtally_checkpoints_total";

int64_t now_unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Checkpointer::Checkpointer(CheckpointConfig config, core::BatchChannel& channel,
                           core::MetricStore& store, std::vector<ingest::Source*> sources)
    : config_(std::move(config)),
      channel_(channel),
      store_(store),
      sources_(std::move(sources)),
      fingerprint_(config_fingerprint(store.specs())),
      written_(store.self_metrics().counter(kCheckpointsTotal, "Checkpoints written durably.")),
      failures_(store.self_metrics().counter("logtally_checkpoint_failures_total",
                                             "Checkpoints that could not be written.")),
      duration_(store.self_metrics().gauge(
          "logtally_checkpoint_duration_seconds",
          "Duration of the last checkpoint: barrier, encoding, write, fsync, rename.")),
      pause_(store.self_metrics().gauge(
          "logtally_checkpoint_pause_seconds",
          "How long dispatch was paused by the last checkpoint's barrier.")),
      bytes_(store.self_metrics().gauge("logtally_checkpoint_bytes",
                                        "Size of the last checkpoint file.")),
      last_success_(store.self_metrics().gauge(
          "logtally_checkpoint_last_success_timestamp_seconds",
          "Unix time the last checkpoint became durable (0 before the first).")) {}

core::Status Checkpointer::restore(bool reset_state) {
  core::Status st = restore_file(reset_state);
  if (!st) return st;
  // What readers see from the start: exactly the restored state (or the empty one), never a
  // live value a crash could take back.
  CheckpointData d;
  d.store = store_.export_state();
  d.self_counters = store_.self_metrics().export_counters();
  publish(d);
  return core::Ok{};
}

core::Status Checkpointer::restore_file(bool reset_state) {
  ReadResult r = read_checkpoint_file(config_.dir, fingerprint_);
  if (r.error == CheckpointError::kMissing) {
    core::log(core::LogLevel::kInfo, "checkpoint: none in " + config_.dir + "; starting fresh");
    return core::Ok{};
  }
  auto refuse = [&](const std::string& why) -> core::Status {
    if (!reset_state) {
      return core::make_error(
          core::ErrorCode::kConfig,
          "checkpoint: " + why +
              "\nlogtally refuses to start rather than count lines twice or lose counts. Fix "
              "the cause, or run with --reset-state to move the file aside and start fresh "
              "(counters restart at 0, sources at their start_at position).");
    }
    const std::string path = config_.dir + "/" + kFileName;
    const std::string aside = path + ".bad-" + std::to_string(std::time(nullptr));
    std::error_code ec;
    std::filesystem::rename(path, aside, ec);
    core::log(core::LogLevel::kWarn, "checkpoint: " + why + "; --reset-state: moved it to " +
                                         aside + (ec ? " (failed: " + ec.message() + ")" : "") +
                                         " and starting fresh");
    return core::Ok{};
  };
  if (r.error != CheckpointError::kNone) return refuse(r.message);

  // Map the saved self-metric counters by name onto this config's sources and pipelines.
  CheckpointData& d = r.data;
  core::StoreState state;
  // Moved, not copied (1M series are 48 MB of Series); keys stay in d.store's arena, which
  // outlives the import below.
  state.metrics = std::move(d.store.metrics);
  state.native = std::move(d.store.native);
  state.overflow = d.store.overflow;  // By metric index, which the fingerprint pins.
  state.created = d.store.created;
  state.exemplars_dropped = d.store.exemplars_dropped;  // Version 5; empty before: zeros.
  if (state.metrics.size() != store_.specs().size()) {
    return refuse("checkpoint holds " + std::to_string(state.metrics.size()) +
                  " metrics, the config " + std::to_string(store_.specs().size()));
  }
  const auto& names = store_.source_names();
  state.source_records.assign(names.size(), 0);
  state.source_bytes.assign(names.size(), 0);
  for (size_t i = 0; i < d.source_names.size(); ++i) {
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j] == d.source_names[i]) {
        state.source_records[j] = d.store.source_records[i];
        state.source_bytes[j] = d.store.source_bytes[i];
      }
    }
  }
  const auto& pnames = store_.pipeline_names();
  state.dropped.assign(pnames.size() * core::kDropReasonCount, 0);
  state.filtered.assign(pnames.size(), 0);
  for (size_t i = 0; i < d.pipeline_names.size(); ++i) {
    for (size_t j = 0; j < pnames.size(); ++j) {
      if (pnames[j] != d.pipeline_names[i]) continue;
      state.filtered[j] = i < d.store.filtered.size() ? d.store.filtered[i] : 0;
      for (size_t k = 0; k < core::kDropReasonCount; ++k) {
        state.dropped[j * core::kDropReasonCount + k] =
            d.store.dropped[i * core::kDropReasonCount + k];
      }
    }
  }
  // Sources first: a state a source refuses makes the whole checkpoint unusable, and nothing
  // may be imported before that is known.
  std::vector<std::pair<ingest::Source*, const std::string*>> restores;
  for (size_t j = 0; j < sources_.size(); ++j) {
    ingest::Source* src = sources_[j];
    if (src == nullptr || !src->checkpointable()) continue;
    for (const auto& [name, saved] : d.source_states) {
      if (j < names.size() && name == names[j]) restores.emplace_back(src, &saved);
    }
  }
  for (auto& [src, saved] : restores) {
    core::Status st = src->restore_state(*saved);
    if (!st) return refuse("source " + src->describe() + ": " + st.error().message);
  }
  // The counters have counted since this lineage's first start (unknown before version 4:
  // then no `_created` is exposed rather than a wrong one); each metric since its own (a
  // reload may have added it later), which import_state() takes from the state.
  store_.set_created_unix_ms(d.created_unix_millis);
  store_.import_state(state);
  // Counters of components built later (sinks, Kafka partitions) wait in the registry.
  store_.self_metrics().restore_counters(d.self_counters);
  if (d.version < 3) {
    core::log(core::LogLevel::kWarn,
              "checkpoint: format version " + std::to_string(d.version) +
                  " holds no self-metric counters (sinks, checkpoints, Kafka, rotations) and no "
                  "native histogram buckets: those start from zero this once");
  }
  if (d.version < 5) {
    core::log(core::LogLevel::kWarn, "checkpoint: format version " + std::to_string(d.version) +
                                         " holds no exemplar drop counts "
                                         "(logtally_exemplars_dropped_total): they start from "
                                         "zero this once");
  }
  last_id_ = d.id;
  core::log(core::LogLevel::kInfo, "checkpoint: restored #" + std::to_string(d.id) + " from " +
                                       config_.dir + " (" + std::to_string(restores.size()) +
                                       " source positions)");
  return core::Ok{};
}

core::Status Checkpointer::checkpoint() {
  std::lock_guard<std::mutex> serial(checkpoint_mu_);
  return checkpoint_locked();
}

void Checkpointer::checkpoint_for_read() {
  const uint64_t arrived = begun_.load();
  std::lock_guard<std::mutex> serial(checkpoint_mu_);
  if (published_seq_ > arrived) return;  // One that began after this reader came is published.
  core::Status st = checkpoint_locked();
  if (!st) core::log(core::LogLevel::kError, "checkpoint for a read: " + st.error().message);
}

void Checkpointer::publish(CheckpointData& d) {
  store_.publish(std::move(d.store), store_.self_metrics().collect_saved(d.self_counters));
}

core::Status Checkpointer::checkpoint_locked() {
  const uint64_t seq = begun_.fetch_add(1) + 1;
  // Readers of a published state do not expire series themselves: expiry runs here, so what
  // is published and what is saved agree.
  store_.expire(core::MetricStore::steady_now_ms());
  const auto t0 = std::chrono::steady_clock::now();
  CheckpointData d;
  d.id = last_id_.load() + 1;
  d.unix_millis = now_unix_millis();
  d.created_unix_millis = store_.created_unix_ms();
  d.fingerprint = fingerprint_;
  d.source_names = store_.source_names();
  d.pipeline_names = store_.pipeline_names();

  // The barrier. It holds only the store's capture (flat copies of the shards' arrays; keys
  // are shared): the merge into one state runs after dispatch resumed, from the capture, which
  // is the consistent cut that matches the sources' positions.
  core::StoreCapture capture;
  store_.prepare_capture(capture);  // Allocations and page faults before dispatch stops.
  const auto t_paused = std::chrono::steady_clock::now();
  channel_.pause();
  channel_.drain();
  store_.capture(capture);
  for (size_t j = 0; j < sources_.size(); ++j) {
    ingest::Source* src = sources_[j];
    if (src == nullptr || !src->checkpointable()) continue;
    d.source_states.emplace_back(d.source_names.at(j), src->checkpoint_state());
  }
  d.self_counters = store_.self_metrics().export_counters();
  channel_.resume();
  const auto t_resumed = std::chrono::steady_clock::now();
  d.store = store_.merge_capture(capture);
  capture = core::StoreCapture{};  // Its copies are merged: give the memory back now.
  // In label order: the view published below then needs no sort, and neither does the one a
  // restore of this file publishes (its single shard keeps the file's order).
  core::sort_series(d.store);
  // The file counts itself in logtally_checkpoints_total: it is restored only if it was
  // written, and then written_ is incremented below (a reader sees the old value until then).
  for (core::SelfMetrics::SavedCounter& c : d.self_counters) {
    if (c.name == kCheckpointsTotal && c.labels.empty()) c.value += 1;
  }

  uint64_t bytes = 0;
  core::Status st = write_checkpoint_file(config_.dir, d, &bytes);
  const auto t2 = std::chrono::steady_clock::now();
  last_pause_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t_resumed - t_paused).count();
  last_total_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(t2 - t0).count();
  pause_.set(std::chrono::duration<double>(t_resumed - t_paused).count());
  duration_.set(std::chrono::duration<double>(t2 - t0).count());
  if (!st) {
    failures_.add(1);
    return st;
  }
  last_id_ = d.id;
  last_bytes_ = bytes;
  bytes_.set(static_cast<double>(bytes));
  written_.add(1);
  last_success_.set(static_cast<double>(now_unix_millis()) / 1000.0);
  size_t k = 0;
  for (ingest::Source* src : sources_) {
    if (src == nullptr || !src->checkpointable()) continue;
    src->checkpoint_durable(d.id, d.source_states[k++].second);
  }
  publish(d);
  published_seq_ = seq;
  return core::Ok{};
}

void Checkpointer::start() {
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(wait_mu_);
    while (!stopping_) {
      wait_cv_.wait_for(lock, config_.interval, [&] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      core::Status st = checkpoint();
      if (!st) core::log(core::LogLevel::kError, st.error().message);
      lock.lock();
    }
  });
}

void Checkpointer::stop() {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    stopping_ = true;
  }
  wait_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace logtally::checkpoint
