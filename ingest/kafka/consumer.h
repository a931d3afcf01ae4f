// KafkaSource: the consumer. Records from Kafka topics through a librdkafka high-level consumer in
// a consumer group (the central consumer: N instances share the partitions). docs/ingest-kafka.md.
//
// Contract:
// - prepare() (main thread) builds the librdkafka configuration and the consumer; a property
//   librdkafka rejects is an Error. Nothing is fetched before run().
// - run() (the source's own thread) subscribes and consumes up to max_messages_per_poll
//   messages per round (rd_kafka_consumer_poll; not rd_kafka_consume_batch_queue, which skips
//   messages across rebalances in librdkafka 2.0.2). Each message value is one record (after
//   the envelope, if `format:` is set), copied into a Batch; a batch is pushed after every
//   round.
// - Rebalances: cooperative-sticky unless the user sets `partition.assignment.strategy`
//   (incremental assign/unassign; eager strategies work too). On revoke the source hands over
//   what it read, runs a checkpoint (with checkpoints) and commits the revoked partitions'
//   positions synchronously before letting them go; a partition let go without its commit is
//   counted (logtally_kafka_revoke_uncommitted_total, ..._messages_total) and logged.
// - Container envelopes: a partition's position carries the first offsets of its joins not
//   finished (ingest/kafka/offsets.h); a resumed partition reads again from there and skips
//   what was counted before, so a record half joined at a checkpoint or a rebalance is counted
//   once, whole.
// - Backpressure: when the workers are behind (no free batch), every assigned partition is
//   paused and the consumer keeps being served (rebalances, heartbeats) until a batch is free;
//   then the partitions are resumed. Nothing is buffered beyond what librdkafka had fetched.
// - Offsets: auto-commit is off. Without checkpoints, the offset after the last message handed
//   to the workers is committed asynchronously every 200 ms, synchronously when partitions are
//   revoked and when the source stops. With checkpoints, only checkpoint_durable() commits.
//   A newly assigned partition starts at the group's committed offset (`auto.offset.reset`,
//   earliest unless overridden, when there is none), or further where this instance knows its
//   counters already cover more (a checkpoint's offset, or its own position when the partition
//   was last revoked from it and the revoke's commit failed).
// - --once: run() returns when every partition assigned to this instance has reached its end
//   (partition EOF with nothing after it), after committing and leaving the group.
// - It returns within about 200 ms of `stop` becoming true, after committing.
// - Self-metrics (core::SelfMetrics, per batch or per second, never per message):
//   logtally_kafka_messages_total{source}, logtally_kafka_consumer_lag{source,topic,partition},
//   logtally_kafka_rebalances_total{source,event}, logtally_kafka_commit_failures_total{source},
//   logtally_kafka_paused_total{source}, logtally_kafka_revoke_uncommitted_total{source},
//   logtally_kafka_revoke_uncommitted_messages_total{source},
//   logtally_kafka_assigned_partitions{source}.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/self_metrics.h"
#include "ingest/envelope_format.h"
#include "ingest/kafka/config.h"
#include "ingest/source.h"

namespace logtally::ingest {

class KafkaSource final : public Source {
 public:
  KafkaSource(const SourceCommon& common, KafkaSourceConfig config, SourceMode mode,
              core::SelfMetrics* self_metrics);
  ~KafkaSource() override;

  [[nodiscard]] core::Status prepare() override;
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override;

  // Checkpoints (ingest/source.h). The state is one line per partition: topic, partition, the
  // offset after the last message handed to the workers and, with an envelope, the first
  // offsets of the joins unfinished there (ingest/kafka/offsets.h). With
  // checkpoints, offsets are committed only in checkpoint_durable(), for partitions assigned
  // here at that moment.
  bool checkpointable() const override { return true; }
  std::string checkpoint_state() override;
  [[nodiscard]] core::Status restore_state(std::string_view state) override;
  void checkpoint_durable(uint64_t id, std::string_view state) override;
  /// Turns checkpoints on for this source: `checkpoint_now` runs a whole checkpoint (the
  /// barrier and the durable file; checkpoint::Checkpointer::checkpoint()). It is called on
  /// revoke, before the partitions are let go. Set before run().
  void set_checkpoint_trigger(CheckpointTrigger checkpoint_now) override;
  /// The run loop has always reserved two batches for a Kafka source; kept so that the
  /// channel's size does not change with the reorganisation. (Its BatchWriter holds one at a
  /// time, envelope or not: the decoded records go into that same batch.)
  size_t batches_held() const override { return 2; }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace logtally::ingest
