// Kafka offsets: the source's checkpoint state (its encoding), where a newly assigned partition
// resumes, and committing offsets once the checkpoint holding them is durable. Used by the
// consumer (ingest/kafka/consumer.cpp) on its own thread and on the checkpoint thread; nothing
// here keeps state or locks.
//
// Half-joined container records (`format: cri|docker`): a partition's position is the offset
// after the last message counted (`next`) plus, per stream, the offset of the first piece of
// the join not finished at `next`. A restart, or the next owner after a rebalance, reads from
// the earliest of them (fetch_from()) and skips what was counted before `next` except the
// pieces of those joins (EnvelopeDecoder::Joins::replay), so a record is joined whole and
// counted once. The group learns the join starts through the commit's metadata.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/batch.h"

namespace logtally::ingest {

using PartitionKey = std::pair<std::string, int32_t>;  ///< Topic and partition.

/// Where this instance's counts end in one partition.
struct PartitionPosition {
  int64_t next = -1;  ///< Offset after the last message counted (the next one to read).
  /// Per stream (stdout, stderr, none), the offset of the first piece of its join unfinished at
  /// `next`, or core::kNoJoin.
  std::array<uint64_t, 3> joins{core::kNoJoin, core::kNoJoin, core::kNoJoin};

  bool has_joins() const noexcept;
  /// The first offset to read again: `next`, or an earlier unfinished join's first piece.
  int64_t fetch_from() const noexcept;
  bool operator==(const PartitionPosition& o) const noexcept {
    return next == o.next && joins == o.joins;
  }
};

/// Per partition, where the counts end.
using PartitionOffsets = std::map<PartitionKey, PartitionPosition>;

/// The checkpoint state: one line per partition in key order, `TOPIC \t PARTITION \t NEXT \n`,
/// or with unfinished joins `TOPIC \t PARTITION \t NEXT \t J0 \t J1 \t J2 \n` (`-` for a stream
/// without one). Persisted in checkpoint files: the format must stay readable by
/// decode_offsets().
std::string encode_offsets(const PartitionOffsets& offsets);
/// Parses encode_offsets()' text into `out` (adding to it); false if a line is malformed.
[[nodiscard]] bool decode_offsets(std::string_view text, PartitionOffsets& out);

/// The metadata committed with a position that has unfinished joins (the committed offset is
/// then fetch_from()): `logtally-joins NEXT J0 J1 J2`. Empty without joins.
std::string encode_commit_metadata(const PartitionPosition& pos);
/// The position a group's commit stands for: `committed` alone, or with the joins its metadata
/// names when that metadata is ours and consistent with `committed`. `committed` < 0: none
/// (next = -1).
PartitionPosition committed_position(int64_t committed, std::string_view metadata);

/// Where a newly assigned partition resumes when this instance's counters cover `saved`: the
/// group's position if it is further (another instance owned the partition since and counted
/// on), else `saved` (a crash between the durable checkpoint and its commit).
inline PartitionPosition resume_position(const PartitionPosition& saved,
                                         const PartitionPosition& group) noexcept {
  return group.next >= 0 && group.next > saved.next ? group : saved;
}

/// One partition whose commit failed, and why.
struct CommitFailure {
  PartitionKey key;
  rd_kafka_resp_err_t err;
};

/// Commits each position's fetch_from() (with encode_commit_metadata()) for the consumer `rk`.
/// Synchronous (`failed` non-null: waits for the group's answer and lists the partitions it
/// refused, or all of them when the request failed) or asynchronous (the result comes through
/// the offset-commit callback). Returns the request's error, NO_ERROR for an asynchronous one.
rd_kafka_resp_err_t commit_offsets(rd_kafka_t* rk, const PartitionOffsets& offsets,
                                   std::vector<CommitFailure>* failed);

}  // namespace logtally::ingest
