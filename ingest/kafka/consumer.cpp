#include "ingest/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "core/batch.h"
#include "core/log.h"
#include "ingest/batch_writer.h"
#include "ingest/envelope.h"
#include "ingest/kafka/offsets.h"

namespace logtally::ingest {

namespace {

using Clock = std::chrono::steady_clock;

// How long one consume call waits for messages; bounds the reaction time to `stop`.
constexpr int kConsumeTimeoutMs = 100;

// A partition assigned to this instance.
struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  /// Where the counts end: the offset after the last message handed to the workers and the
  /// joins unfinished there (ingest/kafka/offsets.h). Guarded by Impl::mu.
  PartitionPosition pushed;
  PartitionPosition committed;  ///< Last position a commit was asked for (reset if it failed).
  bool eof = false;             ///< Reached the end, nothing consumed after it.
  int64_t read_end = -1;        ///< Offset after the last message handled (batched or not).
  std::unique_ptr<EnvelopeDecoder> decoder;  ///< Joins follow the order within a partition.
  /// The decoder's joins in progress, with what a resumed partition reads again
  /// (EnvelopeDecoder::Joins::replay): the pieces of joins unfinished at its start position.
  EnvelopeDecoder::Joins joins;
  core::SourceFieldsPtr fields;  ///< topic, partition (+ the envelope's stream, time columns).
  core::SelfMetrics::Value* lag = nullptr;
  /// Set when the group's committed offset could not be asked on assignment while this
  /// instance had a saved position: the partition starts at the group's commit (librdkafka
  /// fetches it), and messages before `skip.next` are not counted again (see start_position()).
  PartitionPosition skip;
  /// The group's committed offset for this partition as last known here (its answer on
  /// assignment, where librdkafka started reading, or our last commit it accepted); -1 when
  /// unknown. Counts the messages at stake when a revoke's commit fails and the group cannot
  /// be asked.
  int64_t group_offset = -1;
  /// Started at the group's commit as librdkafka fetched it: the first message tells where.
  bool learn_group = false;
};

// Where a newly assigned partition starts (KafkaSource::Impl::start_position()).
struct StartPosition {
  PartitionPosition at;    ///< next < 0: at the group's committed offset.
  PartitionPosition skip;  ///< next >= 0: counted here up to there; not counted again.
  int64_t group = -1;      ///< The group's committed offset when it was asked, else -1.
};

}  // namespace

struct KafkaSource::Impl {
  SourceCommon common;  ///< name, index, max_record_bytes, format.
  KafkaSourceConfig cfg;
  SourceMode mode;
  core::SelfMetrics* self_metrics;

  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;
  std::map<PartitionKey, PartitionState> parts;
  // Cache of the last message's partition: consecutive messages mostly share one, so the map
  // is looked up only when the partition changes.
  const rd_kafka_topic_t* last_rkt = nullptr;
  int32_t last_partition = -1;
  PartitionState* last_state = nullptr;

  BatchWriter* writer = nullptr;  ///< Set while run() is active.
  // The partition whose messages fill the writer's current batch, and the offset after the
  // last of them: what on_queued() records when that batch is queued. A batch never mixes
  // partitions (its source fields name one).
  PartitionState* batch_state = nullptr;
  int64_t batch_end = -1;
  std::array<uint64_t, 3> batch_joins{core::kNoJoin, core::kNoJoin, core::kNoJoin};

  // Checkpoints (ingest/source.h). `mu` guards `parts`' membership and `pushed` against
  // checkpoint_state() on the checkpoint thread; only this source's thread writes them.
  mutable std::mutex mu;
  PartitionOffsets saved;                        ///< Offsets from restore_state(), for assignment.
  std::function<core::Status()> checkpoint_now;  ///< Set when checkpoints are configured.
  std::thread::id run_thread;
  // A revoke's checkpoint: checkpoint_durable() leaves the durable positions here (run thread
  // only) and on_revoke() commits those of the revoked partitions, synchronously.
  bool in_revoke = false;
  bool revoke_durable_set = false;
  PartitionOffsets revoke_durable;
  bool paused = false;
  std::vector<char> scratch;  ///< A message value with padding (docker envelopes need it).
  std::vector<rd_kafka_message_t*> held;  ///< Messages that arrived while paused.

  core::SelfMetrics::Value* messages_total = nullptr;
  core::SelfMetrics::Value* assigns_total = nullptr;
  core::SelfMetrics::Value* revokes_total = nullptr;
  core::SelfMetrics::Value* commit_failures_total = nullptr;
  core::SelfMetrics::Value* paused_total = nullptr;
  core::SelfMetrics::Value* revoke_uncommitted_total = nullptr;
  core::SelfMetrics::Value* revoke_uncommitted_messages_total = nullptr;
  core::SelfMetrics::Value* assigned_partitions = nullptr;
  core::SelfMetrics::Value dummy;  ///< Target of the pointers above when there is no registry.

  Impl(const SourceCommon& co, KafkaSourceConfig c, SourceMode m, core::SelfMetrics* sm)
      : common(co), cfg(std::move(c)), mode(m), self_metrics(sm) {}

  ~Impl() {
    for (rd_kafka_message_t* m : held) rd_kafka_message_destroy(m);
    if (queue) rd_kafka_queue_destroy(queue);
    if (rk) rd_kafka_destroy(rk);
  }

  core::SelfMetrics::Value& counter(std::string_view name, std::string_view help,
                                    core::SelfMetrics::Labels labels) {
    if (!self_metrics) return dummy;
    return self_metrics->counter(name, help, std::move(labels));
  }

  core::Status create();
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list);
  void on_assign(rd_kafka_topic_partition_list_t* list);
  void on_revoke(rd_kafka_topic_partition_list_t* list);
  void on_commit(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets);

  PartitionState* state_of(const rd_kafka_message_t* m);
  static void on_queued(void* context, const core::Batch& batch);
  std::string state_text() const;
  StartPosition start_position(const std::string& topic, int32_t partition);
  void commit_revoked(const rd_kafka_topic_partition_list_t* list, bool revoking = true);
  void commit_before_close();
  void handle(rd_kafka_message_t* m);
  bool hand_over();
  void commit(bool sync, const rd_kafka_topic_partition_list_t* only = nullptr);
  void set_paused(bool pause);
  void wait_for_batch(const std::atomic<bool>& stop);
  bool ensure_room(size_t bytes);
  const std::atomic<bool>* stop_flag = nullptr;
  void update_lag();
  bool once_done() const;
};

namespace {

void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list,
                  void* opaque) {
  static_cast<KafkaSource::Impl*>(opaque)->on_rebalance(err, list);
}

void commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
               void* opaque) {
  static_cast<KafkaSource::Impl*>(opaque)->on_commit(err, offsets);
}

void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  const core::LogLevel l = level <= 3   ? core::LogLevel::kError
                           : level == 4 ? core::LogLevel::kWarn
                                        : core::LogLevel::kInfo;
  core::log(l, std::string("kafka: ") + fac + ": " + buf);
}

void error_cb(rd_kafka_t*, int err, const char* reason, void*) {
  core::log(core::LogLevel::kWarn, std::string("kafka: ") +
                                       rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) +
                                       ": " + reason);
}

}  // namespace

core::Status KafkaSource::Impl::create() {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512] = {};
  auto set = [&](const std::string& k, const std::string& v) -> core::Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return core::make_error(core::ErrorCode::kConfig,
                              "source '" + common.name + "': librdkafka '" + k + "': " + err);
    }
    return core::Ok{};
  };
  bool user_reset = false;
  bool user_strategy = false;
  std::vector<std::pair<std::string, std::string>> props = cfg.librdkafka;
  for (const auto& [k, v] : props) {
    user_reset = user_reset || k == "auto.offset.reset";
    user_strategy = user_strategy || k == "partition.assignment.strategy";
  }
  if (!user_reset) props.emplace_back("auto.offset.reset", "earliest");
  // Cooperative rebalancing: a partition is revoked only after the group has agreed on the new
  // assignment, so the revoke callback runs while the group is stable and its synchronous
  // commit is accepted (with the eager protocol it runs while the group is rebalancing, where
  // commits may be refused: docs/ingest-kafka.md). The other members keep consuming meanwhile.
  if (!user_strategy) props.emplace_back("partition.assignment.strategy", "cooperative-sticky");
  props.emplace_back("bootstrap.servers", cfg.brokers);
  props.emplace_back("group.id", cfg.group);
  props.emplace_back("enable.auto.commit", "false");
  props.emplace_back("enable.auto.offset.store", "false");
  props.emplace_back("enable.partition.eof", mode.once ? "true" : "false");
  for (const auto& [k, v] : props) {
    core::Status st = set(k, v);
    if (!st) {
      rd_kafka_conf_destroy(conf);
      return st;
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));  // Takes `conf` on success.
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return core::make_error(
        core::ErrorCode::kConfig,
        "source '" + common.name + "': cannot create the Kafka consumer: " + err);
  }
  rd_kafka_poll_set_consumer(rk);  // Rebalance and commit callbacks come with the messages.
  queue = rd_kafka_queue_get_consumer(rk);

  const core::SelfMetrics::Labels src = {{"source", common.name}};
  messages_total = &counter("logtally_kafka_messages_total",
                            "Kafka messages consumed and handed to the workers.", src);
  assigns_total = &counter("logtally_kafka_rebalances_total",
                           "Consumer group rebalances seen, by event (assign or revoke).",
                           {{"source", common.name}, {"event", "assign"}});
  revokes_total = &counter("logtally_kafka_rebalances_total",
                           "Consumer group rebalances seen, by event (assign or revoke).",
                           {{"source", common.name}, {"event", "revoke"}});
  commit_failures_total = &counter("logtally_kafka_commit_failures_total",
                                   "Offset commits (per partition) the group refused or that "
                                   "failed; they are retried with the next commit.",
                                   src);
  paused_total = &counter("logtally_kafka_paused_total",
                          "Times the partitions were paused because the workers were behind.", src);
  revoke_uncommitted_total =
      &counter("logtally_kafka_revoke_uncommitted_total",
               "Partitions let go on revoke although the commit of what this instance counted "
               "failed: their next owner counts those messages again.",
               src);
  revoke_uncommitted_messages_total =
      &counter("logtally_kafka_revoke_uncommitted_messages_total",
               "Messages counted here beyond the group's committed offset of partitions let go "
               "on revoke whose commit failed (counted again by the next owner).",
               src);
  if (self_metrics) {
    assigned_partitions = &self_metrics->gauge("logtally_kafka_assigned_partitions",
                                               "Partitions assigned to this instance now.", src);
  } else {
    assigned_partitions = &dummy;
  }
  scratch.resize(common.max_record_bytes + core::kPadding);
  return core::Ok{};
}

void KafkaSource::Impl::on_rebalance(rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* list) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    on_assign(list);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    on_revoke(list);
  } else {
    core::log(core::LogLevel::kError, "source '" + common.name + "': rebalance failed: " +
                                          rd_kafka_err2str(err) + "; dropping the assignment");
    on_revoke(list);
  }
}

void KafkaSource::Impl::on_assign(rd_kafka_topic_partition_list_t* list) {
  // A cooperative rebalance that changes nothing here assigns an empty list: not an event.
  if (list->cnt > 0) assigns_total->add(1);
  std::string names;
  for (int i = 0; i < list->cnt; ++i) {
    rd_kafka_topic_partition_t& tp = list->elems[i];
    {
      std::lock_guard<std::mutex> lock(mu);
      PartitionState& st = parts[{tp.topic, tp.partition}];
      st.topic = tp.topic;
      st.partition = tp.partition;
    }
    PartitionState& st = parts[{tp.topic, tp.partition}];
    st.eof = false;
    st.read_end = -1;
    if (common.format != EnvelopeFormat::kNone && !st.decoder) {
      st.decoder = std::make_unique<EnvelopeDecoder>(common.format, common.max_record_bytes);
      st.decoder->use_joins(&st.joins);
    }
    if (!st.fields) {
      auto f = std::make_shared<core::SourceFields>();
      f->values = {{"topic", st.topic}, {"partition", std::to_string(st.partition)}};
      st.fields = common.format == EnvelopeFormat::kNone ? core::SourceFieldsPtr(std::move(f))
                                                         : envelope_fields(std::move(f));
    }
    if (self_metrics && st.lag == nullptr) {
      st.lag = &self_metrics->gauge(
          "logtally_kafka_consumer_lag",
          "Messages in the partition after the last one handed to the workers (0 once the "
          "partition is no longer assigned here).",
          {{"source", common.name},
           {"topic", st.topic},
           {"partition", std::to_string(tp.partition)}});
    }
    // next < 0: start at the group's committed offset (RD_KAFKA_OFFSET_INVALID), or by
    // `auto.offset.reset` when there is none; see start_position().
    const StartPosition resume = start_position(st.topic, st.partition);
    const PartitionPosition& start = resume.at;
    st.skip = resume.skip;
    st.group_offset = resume.group;
    st.learn_group = resume.at.next < 0;
    tp.offset = start.next >= 0 ? start.fetch_from() : RD_KAFKA_OFFSET_INVALID;
    // Joins unfinished at the start position: their pieces are read again from their first
    // one, and what was counted before `next` is skipped (kReplayed).
    st.joins = EnvelopeDecoder::Joins{};
    if (start.next >= 0) st.joins.replay(static_cast<uint64_t>(start.next), start.joins.data());
    if (start.next >= 0) {
      // Our counters cover every message before the start position (start_position()): it is
      // this partition's position until a message is read, so a checkpoint saves it and a
      // commit (on revoke or at stop) makes it the group's, even when nothing new arrives.
      // Without this a partition whose commit failed during a rebalance and came back here
      // would never commit it, and its next owner would read those messages again.
      std::lock_guard<std::mutex> lock(mu);
      st.pushed = start;
      st.committed = PartitionPosition{};
    }
    names += (names.empty() ? "" : ", ") + st.topic + "[" + std::to_string(tp.partition) + "]";
    if (tp.offset >= 0) names += "@" + std::to_string(tp.offset);
    if (start.has_joins()) names += " (joins from " + std::to_string(start.fetch_from()) + ")";
  }
  assigned_partitions->set(static_cast<double>(parts.size()));
  last_state = nullptr;
  last_rkt = nullptr;
  rd_kafka_error_t* e = nullptr;
  if (std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0) {
    e = rd_kafka_incremental_assign(rk, list);
  } else {
    const rd_kafka_resp_err_t r = rd_kafka_assign(rk, list);
    if (r != RD_KAFKA_RESP_ERR_NO_ERROR) e = rd_kafka_error_new(r, "%s", rd_kafka_err2str(r));
  }
  if (e) {
    core::log(core::LogLevel::kError,
              "source '" + common.name + "': assign failed: " + rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
  }
  if (paused) rd_kafka_pause_partitions(rk, list);
  if (list->cnt > 0) {
    core::log(core::LogLevel::kInfo, "source '" + common.name + "': assigned " + names);
  }
}

StartPosition KafkaSource::Impl::start_position(const std::string& topic, int32_t partition) {
  PartitionPosition own;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = saved.find({topic, partition});
    if (it != saved.end()) own = it->second;
  }
  // Without a saved position and without an envelope, the group's committed offset is all we
  // need: librdkafka fetches it itself (no round trip here).
  if (own.next < 0 && common.format == EnvelopeFormat::kNone) return {};
  // The group's commit, with the joins unfinished there (its metadata). Our counters include
  // every message before `own.next` (a checkpoint's saved position, or where this instance
  // stopped when the partition was last revoked from it): see resume_position().
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic.c_str(), partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk, l, 10000);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = l->elems[0].err;
  PartitionPosition group;
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const rd_kafka_topic_partition_t& tp = l->elems[0];
    group = committed_position(tp.offset, std::string_view(static_cast<const char*>(tp.metadata),
                                                           tp.metadata ? tp.metadata_size : 0));
  }
  rd_kafka_topic_partition_list_destroy(l);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    return {resume_position(own, group), {}, group.next >= 0 ? group.fetch_from() : -1};
  }
  if (own.next < 0) return {};  // An envelope without a saved position: as librdkafka fetches.
  // Not knowing the group's commit, starting at our saved position would count again what
  // another owner counted and committed since (the common case: the partition moved around).
  // So start at the group's commit, which librdkafka fetches with its own retries, and skip
  // what we counted before `own.next` (the rarer case: our checkpoint was durable, its commit
  // not). Joins unfinished at `own.next` are not replayed: their records are counted from the
  // piece read first.
  core::log(core::LogLevel::kWarn,
            "source '" + common.name + "': " + topic + "[" + std::to_string(partition) +
                "]: cannot ask the group's committed offset (" + rd_kafka_err2str(err) +
                "); starting there as librdkafka fetches it, skipping messages before offset " +
                std::to_string(own.next) + " (counted here before)");
  return {PartitionPosition{}, own, -1};
}

void KafkaSource::Impl::on_revoke(rd_kafka_topic_partition_list_t* list) {
  if (list->cnt > 0) revokes_total->add(1);
  // Hand over what was read from these partitions (push never blocks for long), make it
  // durable and commit it before letting go, so that the next owner starts right after it.
  hand_over();
  commit_revoked(list);
  if (std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0) {
    rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, list);
    if (e) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
  std::string names;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    auto it = parts.find({tp.topic, tp.partition});
    if (it == parts.end()) continue;
    if (it->second.lag) it->second.lag->set(0);
    if (batch_state == &it->second) batch_state = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      // Remember where our counters end for this partition. If the commit above failed and the
      // partition comes back to this instance, it resumes here rather than at the older
      // committed offset.
      if (it->second.pushed.next >= 0) saved[it->first] = it->second.pushed;
      parts.erase(it);
    }
    names += (names.empty() ? "" : ", ") + std::string(tp.topic) + "[" +
             std::to_string(tp.partition) + "]";
  }
  assigned_partitions->set(static_cast<double>(parts.size()));
  last_state = nullptr;
  last_rkt = nullptr;
  if (list->cnt > 0) {
    core::log(core::LogLevel::kInfo, "source '" + common.name + "': revoked " + names);
  }
}

void KafkaSource::Impl::commit_before_close() {
  // Closing revokes every partition, but librdkafka may run that revoke late, after the group
  // has moved on without this member (its session expired meanwhile: seen at 8 s under load),
  // when the revoke's commit is refused. So the checkpoint and its commit are made here first,
  // while this instance is surely a member; the revoke then finds them committed.
  if (!checkpoint_now || parts.empty()) return;
  rd_kafka_topic_partition_list_t* all =
      rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (const auto& [key, st] : parts) {
    rd_kafka_topic_partition_list_add(all, key.first.c_str(), key.second);
  }
  commit_revoked(all, /*revoking=*/false);
  rd_kafka_topic_partition_list_destroy(all);
}

void KafkaSource::Impl::commit_revoked(const rd_kafka_topic_partition_list_t* list, bool revoking) {
  // What the group must hold before these partitions go: with checkpoints, their positions in
  // a checkpoint made now (durable: the counters that cover them survive a crash); without,
  // their positions now.
  PartitionOffsets positions;  // Every revoked partition this instance counted in.
  {
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < list->cnt; ++i) {
      auto it = parts.find({list->elems[i].topic, list->elems[i].partition});
      if (it != parts.end() && it->second.pushed.next >= 0)
        positions[it->first] = it->second.pushed;
    }
  }
  if (positions.empty()) return;
  PartitionOffsets to_commit;
  std::string why;
  if (checkpoint_now) {
    in_revoke = true;
    revoke_durable_set = false;
    revoke_durable.clear();
    const core::Status st = checkpoint_now();  // checkpoint_durable() fills revoke_durable.
    in_revoke = false;
    if (!st) {
      why = "the checkpoint before the revoke failed: " + st.error().message;
    } else if (!revoke_durable_set) {
      why = "the checkpoint before the revoke did not become durable";
    }
    // The partitions kept are committed with them: the checkpoint counts them up to there, and
    // should one of them move later without another commit (this instance killed), its next
    // owner must start there too.
    for (const auto& [key, pos] : revoke_durable) {
      if (parts.count(key)) to_commit[key] = pos;
    }
  } else {
    to_commit = positions;
  }
  std::vector<CommitFailure> failed;
  commit_offsets(rk, to_commit, &failed);
  // A partition whose position is not in the group now is handed over with work the next
  // owner will count again: never silently.
  std::map<PartitionKey, std::string> uncommitted;
  for (const auto& [key, pos] : positions) {
    if (!to_commit.count(key)) uncommitted[key] = why.empty() ? "not in the checkpoint" : why;
  }
  for (const CommitFailure& f : failed) {
    commit_failures_total->add(1);
    if (positions.count(f.key)) {
      uncommitted[f.key] = std::string("commit failed: ") + rd_kafka_err2str(f.err);
    }
  }
  for (const auto& entry : to_commit) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const PartitionKey& key = entry.first;
    if (!uncommitted.count(key) &&
        std::none_of(failed.begin(), failed.end(),
                     [&](const CommitFailure& f) { return f.key == key; })) {
      auto it = parts.find(key);
      if (it != parts.end()) {
        it->second.committed = entry.second;
        it->second.group_offset = entry.second.fetch_from();
      }
    }
  }
  // A position the group accepted already (commit_before_close()) is not at stake.
  for (auto it = uncommitted.begin(); it != uncommitted.end();) {
    auto st = parts.find(it->first);
    const bool done = st != parts.end() && st->second.committed == positions[it->first];
    it = done ? uncommitted.erase(it) : std::next(it);
  }
  if (uncommitted.empty() || !revoking) return;
  // How far the group's offsets are behind what we counted (one round trip; failures only).
  rd_kafka_topic_partition_list_t* l =
      rd_kafka_topic_partition_list_new(static_cast<int>(uncommitted.size()));
  for (const auto& [key, reason] : uncommitted) {
    rd_kafka_topic_partition_list_add(l, key.first.c_str(), key.second);
  }
  const bool known = rd_kafka_committed(rk, l, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR;
  for (const auto& [key, reason] : uncommitted) {
    const int64_t counted = positions[key].fetch_from();
    int64_t group = -1;
    const rd_kafka_topic_partition_t* tp =
        known ? rd_kafka_topic_partition_list_find(l, key.first.c_str(), key.second) : nullptr;
    bool group_known = tp && tp->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (group_known) group = tp->offset;
    // Not answered (e.g. while closing, the member already out of the group): the group's
    // offset as last known here, where nobody else commits this partition while it is ours.
    bool last_known = false;
    if (!group_known) {
      auto st = parts.find(key);
      if (st != parts.end() && st->second.group_offset >= 0) {
        group = st->second.group_offset;
        group_known = last_known = true;
      }
    }
    // No commit at all: the next owner starts at the log start (auto.offset.reset earliest).
    // When the query itself failed (e.g. while closing), the group's offset stays unknown.
    if (group_known && group < 0) {
      int64_t lo = -1, hi = -1;
      if (rd_kafka_get_watermark_offsets(rk, key.first.c_str(), key.second, &lo, &hi) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          lo >= 0) {
        group = lo;
      }
    }
    if (group >= counted) continue;  // The group is there already: nothing to redo.
    const int64_t messages = group >= 0 && group < counted ? counted - group : 0;
    revoke_uncommitted_total->add(1);
    revoke_uncommitted_messages_total->add(static_cast<double>(messages));
    core::log(core::LogLevel::kError,
              "source '" + common.name + "': " + key.first + "[" + std::to_string(key.second) +
                  "] revoked without its commit (" + reason + "): counted up to offset " +
                  std::to_string(counted) + ", the group's is " +
                  (last_known ? "(as last known) " : "") +
                  (group >= 0 ? std::to_string(group) : std::string("unknown")) +
                  "; the next "
                  "owner counts " +
                  (group >= 0 ? std::to_string(messages) : std::string("the")) +
                  " messages in between again");
  }
  rd_kafka_topic_partition_list_destroy(l);
}

void KafkaSource::Impl::on_commit(rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t* offsets) {
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // Nothing to commit.
  if (offsets == nullptr) {
    if (err) commit_failures_total->add(1);
    return;
  }
  for (int i = 0; i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR && err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    commit_failures_total->add(1);
    auto it = parts.find({tp.topic, tp.partition});
    if (it != parts.end() && it->second.committed.fetch_from() == tp.offset) {
      it->second.committed = PartitionPosition{};
    }
  }
}

void KafkaSource::Impl::commit(bool sync, const rd_kafka_topic_partition_list_t* only) {
  if (checkpoint_now) return;  // With checkpoints, only checkpoint_durable() commits.
  PartitionOffsets offsets;
  for (auto& [key, st] : parts) {
    if (st.pushed.next < 0 || st.pushed == st.committed) continue;
    if (only && !rd_kafka_topic_partition_list_find(only, st.topic.c_str(), st.partition)) {
      continue;
    }
    offsets[key] = st.pushed;
    st.committed = st.pushed;
  }
  if (offsets.empty()) return;
  std::vector<CommitFailure> failed;
  commit_offsets(rk, offsets, sync ? &failed : nullptr);
  for (const CommitFailure& f : failed) {
    // A synchronous commit's result does not come through on_commit().
    commit_failures_total->add(1);
    auto it = parts.find(f.key);
    if (it != parts.end()) it->second.committed = PartitionPosition{};
    core::log(core::LogLevel::kWarn, "source '" + common.name + "': offset commit of " +
                                         f.key.first + "[" + std::to_string(f.key.second) +
                                         "] failed: " + rd_kafka_err2str(f.err));
  }
}

PartitionState* KafkaSource::Impl::state_of(const rd_kafka_message_t* m) {
  if (m->rkt == last_rkt && m->partition == last_partition && last_state) return last_state;
  auto it = parts.find({rd_kafka_topic_name(m->rkt), m->partition});
  if (it == parts.end()) return nullptr;
  last_rkt = m->rkt;
  last_partition = m->partition;
  last_state = &it->second;
  return last_state;
}

void KafkaSource::Impl::handle(rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (PartitionState* st = state_of(m)) st->eof = true;
    return;
  }
  if (m->err) {
    core::log(core::LogLevel::kWarn, "source '" + common.name + "': " + rd_kafka_message_errstr(m));
    return;
  }
  PartitionState* st = state_of(m);
  if (st == nullptr) return;  // From a partition revoked meanwhile: its next owner reads it.
  // The first message since the assignment: librdkafka started at the group's commit (or,
  // without one, where the next owner would start too).
  if (st->learn_group) {
    st->group_offset = m->offset;
    st->learn_group = false;
  }
  if (st->skip.next >= 0) {
    // The first message since an assignment whose group commit was not known: the commit is at
    // or before it, so the position counted here (skip) is not behind the group's.
    if (m->offset < st->skip.next) {
      // Only this thread writes `pushed`: reading it needs no lock, writing it (once) does.
      if (st->pushed.next < st->skip.next) {
        std::lock_guard<std::mutex> lock(mu);
        st->pushed = st->skip;
      }
      return;  // Counted here before.
    }
    st->skip = PartitionPosition{};
  }
  if (st != batch_state) {
    // A batch holds one partition: hand over the other partition's batch first.
    if (!writer->set_fields(st->fields)) return;
    batch_state = st;
    batch_end = -1;
    batch_joins.fill(core::kNoJoin);
  }
  const std::string_view value(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  // Room for the record and its envelope columns, without blocking the consumer: if the batch
  // is full and the workers are behind, the partitions are paused until a batch is free.
  if (!ensure_room(std::min(value.size(), common.max_record_bytes) + 64)) return;
  // A rebalance served while waiting may have revoked (or re-assigned) the partition.
  st = state_of(m);
  if (st == nullptr) return;
  if (st != batch_state) {
    if (!writer->set_fields(st->fields)) return;
    batch_state = st;
    batch_end = -1;
    batch_joins.fill(core::kNoJoin);
  }
  st->eof = false;
  core::Batch* b = writer->batch();  // In hand: ensure_room() took it.
  if (b == nullptr) return;
  // A message before the resume position was counted (its bytes too) before it.
  const bool read_before = static_cast<uint64_t>(m->offset) < st->joins.replay_end;
  if (value.size() > common.max_record_bytes) {
    if (!read_before) ++b->too_long;
  } else if (!st->decoder) {
    writer->append(value);  // May hand over the full batch first (ending at batch_end).
  } else {
    // The docker envelope is parsed by simdjson, which reads past the end: copy into padding.
    std::memcpy(scratch.data(), value.data(), value.size());
    Decoded d;
    switch (st->decoder->decode(std::string_view(scratch.data(), value.size()), d,
                                static_cast<uint64_t>(m->offset))) {
      case DecodeStatus::kRecord: {
        const std::string_view cols[4] = {{}, {}, d.stream, d.time};
        writer->append(d.message, cols + 2, 2);
        break;
      }
      case DecodeStatus::kPartial:
        break;
      case DecodeStatus::kBadEnvelope:
        if ((b = writer->batch()) != nullptr) ++b->bad_envelope;
        break;
      case DecodeStatus::kTooLong:
        if ((b = writer->batch()) != nullptr) ++b->too_long;
        break;
      case DecodeStatus::kReplayed:
        // Read again after a resume and counted before it: only the pieces of the joins
        // unfinished at the resume position go on (they return kPartial, then kRecord).
        break;
    }
  }
  if (!read_before && (b = writer->batch()) != nullptr) b->bytes_read += m->len;
  // The position after this message, as on_queued() records it when this batch is queued (a
  // batch handed over inside append() above carries the previous message's).
  batch_end = m->offset + 1;
  st->read_end = batch_end;
  if (st->decoder) st->decoder->pending_starts(batch_joins.data());
}

void KafkaSource::Impl::on_queued(void* context, const core::Batch&) {
  // Runs on this source's thread inside push(), with the channel's lock held.
  auto* self = static_cast<Impl*>(context);
  if (self->batch_state == nullptr || self->batch_end < 0) return;
  std::lock_guard<std::mutex> lock(self->mu);
  PartitionPosition& pushed = self->batch_state->pushed;
  // Messages read again after a resume (before `pushed.next`) leave the position as it is:
  // the joins they complete were unfinished there. A batch with only a message's partial piece
  // (its bytes) moves the joins on with `next`.
  if (self->batch_end >= pushed.next) {
    pushed.next = self->batch_end;
    pushed.joins = self->batch_joins;
  }
}

std::string KafkaSource::Impl::state_text() const {
  // Saved offsets of partitions not assigned now are carried over (start_offset() compares
  // them with the group's commit).
  PartitionOffsets all;
  {
    std::lock_guard<std::mutex> lock(mu);
    all = saved;
    for (const auto& [key, st] : parts) {
      if (st.pushed.next >= 0) all[key] = st.pushed;
    }
  }
  return encode_offsets(all);
}

bool KafkaSource::Impl::hand_over() {
  if (writer == nullptr) return false;
  return writer->flush();  // on_queued() advances `pushed`.
}

void KafkaSource::Impl::set_paused(bool pause) {
  if (pause == paused) return;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list) {
    if (pause) {
      rd_kafka_pause_partitions(rk, list);
    } else {
      rd_kafka_resume_partitions(rk, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
  }
  paused = pause;
  if (pause) paused_total->add(1);
}

void KafkaSource::Impl::wait_for_batch(const std::atomic<bool>& stop) {
  // Served rebalances may revoke partitions: forget the cached lookup.
  last_state = nullptr;
  last_rkt = nullptr;
  set_paused(true);
  while (!stop.load(std::memory_order_relaxed) &&
         !writer->try_acquire_for(std::chrono::milliseconds(kConsumeTimeoutMs))) {
    // Keep serving the group (rebalance callbacks) while paused. Messages fetched before the
    // pause took effect are kept, in order, for when a batch is free.
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 0)) held.push_back(m);
  }
  set_paused(false);
}

bool KafkaSource::Impl::ensure_room(size_t bytes) {
  if (writer->has_batch() && writer->room() >= bytes) return true;
  if (!writer->flush()) return false;
  if (!writer->try_acquire_for(std::chrono::milliseconds(0))) {
    wait_for_batch(*stop_flag);
    if (!writer->has_batch()) return false;  // Stopping.
  }
  // The batch is fresh; the caller sets its partition's fields.
  return true;
}

void KafkaSource::Impl::update_lag() {
  for (auto& [key, st] : parts) {
    if (st.lag == nullptr) continue;
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(rk, st.topic.c_str(), st.partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < 0) {
      continue;
    }
    int64_t pos = st.pushed.next;
    if (pos < 0) {
      rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(l, st.topic.c_str(), st.partition);
      if (rd_kafka_position(rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR) pos = l->elems[0].offset;
      rd_kafka_topic_partition_list_destroy(l);
    }
    if (pos < 0) pos = lo >= 0 ? lo : 0;
    st.lag->set(static_cast<double>(hi > pos ? hi - pos : 0));
  }
}

bool KafkaSource::Impl::once_done() const {
  if (parts.empty() || !held.empty()) return false;
  for (const auto& [key, st] : parts) {
    if (!st.eof) return false;
  }
  return true;
}

KafkaSource::KafkaSource(const SourceCommon& common, KafkaSourceConfig config, SourceMode mode,
                         core::SelfMetrics* self_metrics)
    : impl_(std::make_unique<Impl>(common, std::move(config), mode, self_metrics)) {}

KafkaSource::~KafkaSource() = default;

core::Status KafkaSource::prepare() { return impl_->create(); }

void KafkaSource::set_checkpoint_trigger(CheckpointTrigger checkpoint_now) {
  impl_->checkpoint_now = std::move(checkpoint_now);
}

std::string KafkaSource::checkpoint_state() { return impl_->state_text(); }

core::Status KafkaSource::restore_state(std::string_view state) {
  PartitionOffsets saved;
  if (!decode_offsets(state, saved)) {
    return core::make_error(core::ErrorCode::kConfig, "source '" + impl_->common.name +
                                                          "': saved Kafka offsets are malformed");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->saved = std::move(saved);
  return core::Ok{};
}

void KafkaSource::checkpoint_durable(uint64_t id, std::string_view state) {
  Impl& s = *impl_;
  PartitionOffsets offsets;
  if (!decode_offsets(state, offsets)) return;
  {
    // Only partitions assigned here: committing another owner's partition could move its
    // committed offset backwards.
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto it = offsets.begin(); it != offsets.end();) {
      it = s.parts.count(it->first) ? std::next(it) : offsets.erase(it);
    }
  }
  if (s.in_revoke && std::this_thread::get_id() == s.run_thread) {
    // A revoke's checkpoint: on_revoke() commits the revoked partitions synchronously.
    s.revoke_durable = std::move(offsets);
    s.revoke_durable_set = true;
    return;
  }
  // The periodic checkpoint thread (or a stop): asynchronous, failures come to on_commit().
  commit_offsets(s.rk, offsets, nullptr);
}

std::string KafkaSource::describe() const { return impl_->cfg.describe(); }

void KafkaSource::run(core::BatchChannel& channel, const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  if (s.rk == nullptr) return;  // prepare() failed or was not called.
  s.run_thread = std::this_thread::get_id();
  s.stop_flag = &stop;
  BatchWriter writer(channel, s.common.index);
  writer.set_on_queued(&Impl::on_queued, &s);
  s.writer = &writer;

  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(s.cfg.topics.size()));
  for (const std::string& t : s.cfg.topics) {
    rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(s.rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    core::log(core::LogLevel::kError,
              "source '" + s.common.name + "': subscribe failed: " + rd_kafka_err2str(err));
    s.writer = nullptr;
    return;
  }

  const size_t max_messages = s.cfg.max_messages_per_poll;
  Clock::time_point last_commit = Clock::now();
  Clock::time_point last_lag = last_commit;
  while (!stop.load(std::memory_order_relaxed)) {
    if (!writer.try_acquire_for(std::chrono::milliseconds(0))) {
      s.wait_for_batch(stop);
      continue;
    }
    uint64_t count = 0;
    if (!s.held.empty()) {
      for (rd_kafka_message_t* m : s.held) {
        count += m->err ? 0 : 1;
        s.handle(m);
        rd_kafka_message_destroy(m);
      }
      s.held.clear();
    }
    // One message at a time (the first waits up to kConsumeTimeoutMs), up to
    // max_messages_per_poll. Not rd_kafka_consume_batch_queue(): in librdkafka 2.0.2 it advances
    // a partition's application offset for messages it then drops as outdated when a pause,
    // resume or rebalance lands inside the batch (fixed in 2.1.0, librdkafka PR #4208), and the
    // fetch restarts after them: an incremental rebalance pauses and resumes every partition,
    // and lost 50 messages of a partition that stayed assigned here
    // (KafkaSourceTest.CooperativeRevokeWithMessagesInFlightHandsOverExactly).
    // rd_kafka_consumer_poll() drops outdated messages before the offset moves.
    for (size_t i = 0; i < max_messages; ++i) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(s.rk, i == 0 ? kConsumeTimeoutMs : 0);
      if (m == nullptr) break;
      count += m->err ? 0 : 1;
      s.handle(m);
      rd_kafka_message_destroy(m);
      if (stop.load(std::memory_order_relaxed)) break;
    }
    s.hand_over();
    if (count > 0) s.messages_total->add(static_cast<double>(count));
    const Clock::time_point now = Clock::now();
    if (now - last_commit >= std::chrono::milliseconds(s.cfg.commit_interval_ms)) {
      s.commit(false);
      last_commit = now;
    }
    if (now - last_lag >= std::chrono::seconds(1)) {
      s.update_lag();
      last_lag = now;
    }
    if (s.mode.once && s.once_done()) break;
  }

  // End of input or stop: hand over (with --once, joins still waiting for their final piece
  // too), commit, leave the group.
  if (s.mode.once && s.common.format != EnvelopeFormat::kNone) {
    for (auto& [key, st] : s.parts) {
      if (!st.decoder || st.read_end < 0) continue;
      // Under this partition's fields, ending its position with no join unfinished.
      if (!writer.set_fields(st.fields)) break;
      s.batch_state = &st;
      s.batch_end = st.read_end;
      s.batch_joins.fill(core::kNoJoin);
      Decoded d;
      DecodeStatus status;
      while (st.decoder->flush(d, status)) {
        if (status == DecodeStatus::kRecord) {
          writer.append(d.message);
        } else if (core::Batch* b = writer.batch()) {
          ++b->too_long;
        }
      }
      s.hand_over();
    }
  }
  s.hand_over();
  s.commit(true);
  s.commit_before_close();
  s.update_lag();
  rd_kafka_consumer_close(s.rk);  // Revokes (committing again if needed) and leaves the group.
  s.writer = nullptr;
}

}  // namespace logtally::ingest
