#include "ingest/kafka/offsets.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace logtally::ingest {

namespace {

constexpr std::string_view kMetadataTag = "logtally-joins";

// Parses a non-negative decimal integer that spans all of `s`.
bool parse_offset(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  out = v;
  return true;
}

// A join start as written: the offset, or `-` for none.
bool parse_join(std::string_view s, uint64_t& out) {
  if (s == "-") {
    out = core::kNoJoin;
    return true;
  }
  return parse_offset(s, out);
}

std::string join_text(uint64_t start) {
  return start == core::kNoJoin ? std::string("-") : std::to_string(start);
}

// Splits `s` at `sep` into at most `max` fields; returns the count, or max + 1 if more.
size_t split(std::string_view s, char sep, std::string_view* fields, size_t max) {
  size_t n = 0;
  while (true) {
    const size_t at = s.find(sep);
    if (n == max) return max + 1;
    fields[n++] = s.substr(0, at);
    if (at == std::string_view::npos) return n;
    s.remove_prefix(at + 1);
  }
}

}  // namespace

bool PartitionPosition::has_joins() const noexcept {
  return std::any_of(joins.begin(), joins.end(), [](uint64_t j) { return j != core::kNoJoin; });
}

int64_t PartitionPosition::fetch_from() const noexcept {
  int64_t from = next;
  for (const uint64_t j : joins) {
    if (j != core::kNoJoin && static_cast<int64_t>(j) < from) from = static_cast<int64_t>(j);
  }
  return from;
}

std::string encode_offsets(const PartitionOffsets& offsets) {
  std::string out;
  for (const auto& [key, pos] : offsets) {
    out += key.first + "\t" + std::to_string(key.second) + "\t" + std::to_string(pos.next);
    if (pos.has_joins()) {
      for (const uint64_t j : pos.joins) out += "\t" + join_text(j);
    }
    out += "\n";
  }
  return out;
}

bool decode_offsets(std::string_view text, PartitionOffsets& out) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    std::string_view f[6];
    const size_t n = split(line, '\t', f, 6);
    if ((n != 3 && n != 6) || f[0].empty()) return false;
    uint64_t partition = 0, next = 0;
    if (!parse_offset(f[1], partition) || partition > INT32_MAX) return false;
    if (!parse_offset(f[2], next) || next > INT64_MAX) return false;
    PartitionPosition pos;
    pos.next = static_cast<int64_t>(next);
    for (size_t s = 0; n == 6 && s < 3; ++s) {
      if (!parse_join(f[3 + s], pos.joins[s])) return false;
      // A join unfinished at `next` began before it.
      if (pos.joins[s] != core::kNoJoin && pos.joins[s] >= next) return false;
    }
    out[{std::string(f[0]), static_cast<int32_t>(partition)}] = pos;
  }
  return true;
}

std::string encode_commit_metadata(const PartitionPosition& pos) {
  if (!pos.has_joins()) return {};
  std::string out(kMetadataTag);
  out += " " + std::to_string(pos.next);
  for (const uint64_t j : pos.joins) out += " " + join_text(j);
  return out;
}

PartitionPosition committed_position(int64_t committed, std::string_view metadata) {
  PartitionPosition pos;
  if (committed < 0) return pos;
  pos.next = committed;
  std::string_view f[5];
  if (split(metadata, ' ', f, 5) != 5 || f[0] != kMetadataTag) return pos;
  PartitionPosition with;
  uint64_t next = 0;
  if (!parse_offset(f[1], next) || next > INT64_MAX) return pos;
  with.next = static_cast<int64_t>(next);
  for (size_t s = 0; s < 3; ++s) {
    if (!parse_join(f[2 + s], with.joins[s])) return pos;
    if (with.joins[s] != core::kNoJoin && with.joins[s] >= next) return pos;
  }
  // Metadata that does not describe this very offset (someone committed without it) is stale.
  if (!with.has_joins() || with.fetch_from() != committed) return pos;
  return with;
}

namespace {

void collect_failures(rd_kafka_t*, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* failed = static_cast<std::vector<CommitFailure>*>(opaque);
  for (int i = 0; offsets && i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    const rd_kafka_resp_err_t e = tp.err ? tp.err : err;
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) failed->push_back({{tp.topic, tp.partition}, e});
  }
}

}  // namespace

rd_kafka_resp_err_t commit_offsets(rd_kafka_t* rk, const PartitionOffsets& offsets,
                                   std::vector<CommitFailure>* failed) {
  if (offsets.empty()) return RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [key, pos] : offsets) {
    rd_kafka_topic_partition_t* tp =
        rd_kafka_topic_partition_list_add(list, key.first.c_str(), key.second);
    tp->offset = pos.fetch_from();
    const std::string md = encode_commit_metadata(pos);
    if (!md.empty()) {
      // The list owns its metadata and frees it with free().
      tp->metadata = std::malloc(md.size());
      if (tp->metadata != nullptr) {
        std::memcpy(tp->metadata, md.data(), md.size());
        tp->metadata_size = md.size();
      }
    }
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (failed == nullptr) {
    rd_kafka_commit(rk, list, 1);
  } else {
    // Without a queue, rd_kafka_commit_queue() waits for the answer and calls the callback
    // with each partition's result (rd_kafka_commit() gives only the request's error).
    const size_t before = failed->size();
    err = rd_kafka_commit_queue(rk, list, nullptr, collect_failures, failed);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET &&
        failed->size() == before) {
      for (const auto& [key, pos] : offsets) failed->push_back({key, err});
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return err;
}

}  // namespace logtally::ingest
