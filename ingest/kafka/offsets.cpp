#include "ingest/kafka/offsets.h"

#include <cstdlib>

namespace logtally::ingest {

std::string encode_offsets(const PartitionOffsets& offsets) {
  std::string out;
  for (const auto& [key, offset] : offsets) {
    out += key.first + "\t" + std::to_string(key.second) + "\t" + std::to_string(offset) + "\n";
  }
  return out;
}

bool decode_offsets(std::string_view text, PartitionOffsets& out) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;
    const std::string line(text.substr(0, nl));
    text.remove_prefix(nl + 1);
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos || t1 == 0) return false;
    char* end = nullptr;
    const long partition = std::strtol(line.c_str() + t1 + 1, &end, 10);
    if (end != line.c_str() + t2 || partition < 0) return false;
    const long long offset = std::strtoll(line.c_str() + t2 + 1, &end, 10);
    if (end != line.c_str() + line.size() || offset < 0) return false;
    out[{line.substr(0, t1), static_cast<int32_t>(partition)}] = offset;
  }
  return true;
}

rd_kafka_resp_err_t commit_offsets(rd_kafka_t* rk, const PartitionOffsets& offsets, bool sync) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [key, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list, key.first.c_str(), key.second)->offset = offset;
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (list->cnt > 0) {
    err = rd_kafka_commit(rk, list, sync ? 0 : 1);
    if (!sync) err = RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  rd_kafka_topic_partition_list_destroy(list);
  return err;
}

}  // namespace logtally::ingest
