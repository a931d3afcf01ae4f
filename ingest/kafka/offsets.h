// Kafka offsets: the source's checkpoint state (its encoding), where a newly assigned partition
// resumes, and committing offsets once the checkpoint holding them is durable. Used by the
// consumer (ingest/kafka/consumer.cpp) on its own thread and on the checkpoint thread; nothing
// here keeps state or locks.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace logtally::ingest {

using PartitionKey = std::pair<std::string, int32_t>;  ///< Topic and partition.
/// Per partition, the offset after the last message counted (the next one to read).
using PartitionOffsets = std::map<PartitionKey, int64_t>;

/// The checkpoint state: one line per partition, `TOPIC \t PARTITION \t NEXT_OFFSET \n`, in key
/// order. Persisted in checkpoint files: the format must stay readable by decode_offsets().
std::string encode_offsets(const PartitionOffsets& offsets);
/// Parses encode_offsets()' text into `out` (adding to it); false if a line is malformed.
[[nodiscard]] bool decode_offsets(std::string_view text, PartitionOffsets& out);

/// Where a newly assigned partition starts when this instance's counters cover every message
/// before `saved`: the group's `committed` offset if it is further (another instance owned the
/// partition since and counted on), else `saved` (a crash between the durable checkpoint and
/// its commit). `committed` < 0: the group has none.
constexpr int64_t resume_offset(int64_t saved, int64_t committed) noexcept {
  return committed >= 0 && committed > saved ? committed : saved;
}

/// Commits `offsets` for the consumer `rk`, synchronously (waits for the group's answer) or
/// not. Returns the error of a synchronous commit that failed before being sent (a
/// partition-level failure comes through the offset-commit callback); NO_ERROR otherwise.
rd_kafka_resp_err_t commit_offsets(rd_kafka_t* rk, const PartitionOffsets& offsets, bool sync);

}  // namespace logtally::ingest
