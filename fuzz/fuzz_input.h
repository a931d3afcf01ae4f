// Helpers shared by the fuzz targets: they hand the code under test its input the way the
// pipeline does (records inside a buffer followed by core::kPadding readable bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "core/batch.h"
#include "core/record.h"

namespace logtally::fuzz {

/// A copy of `bytes` in an allocation of exactly size + kPadding bytes, so AddressSanitizer
/// reports any read beyond the padding a Batch guarantees. The padding bytes are chosen by the
/// caller: a parser's result must not depend on them.
class PaddedRecord {
 public:
  /// The default padding: bytes that would change a result if a parser took them for record
  /// data (quotes, braces, digits, a backslash).
  static constexpr std::string_view kTrickyPadding = "\"}1]\\ =a";
  /// What follows a record in a real batch: the newline, then the next record.
  static constexpr std::string_view kBatchPadding = "\n{\"level\":\"info\"}";

  explicit PaddedRecord(std::string_view bytes, std::string_view fill = kTrickyPadding)
      : size_(bytes.size()), buffer_(new char[bytes.size() + core::kPadding]) {
    if (!bytes.empty()) std::memcpy(buffer_.get(), bytes.data(), bytes.size());
    for (size_t i = 0; i < core::kPadding; ++i) buffer_[size_ + i] = fill[i % fill.size()];
  }
  std::string_view view() const noexcept { return {buffer_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> buffer_;
};

/// Splits `bytes` at '\n' into lines (without the '\n'), as the line reader does.
inline std::vector<std::string_view> split_lines(std::string_view bytes) {
  std::vector<std::string_view> lines;
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    lines.push_back(bytes.substr(0, nl));
    if (nl == std::string_view::npos) break;
    bytes.remove_prefix(nl + 1);
  }
  return lines;
}

/// Reads every byte of every filled slot, so that AddressSanitizer checks the views a parser
/// stored (they must point into the record or the parser's scratch memory), and returns a value
/// the caller can use so that the reads are not optimised away.
inline uint64_t touch(const core::Record& record) {
  uint64_t sum = 0;
  for (size_t i = 0; i < record.size(); ++i) {
    const core::FieldValue& v = record.slot(static_cast<uint32_t>(i));
    if (v.kind == core::FieldValue::Kind::kAbsent) continue;
    for (const char c : v.text) sum += static_cast<uint8_t>(c);
  }
  return sum;
}

/// Crashes (so libFuzzer keeps the input) when a property the code promises does not hold.
#define LOGTALLY_FUZZ_CHECK(cond)                                                         \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

}  // namespace logtally::fuzz
