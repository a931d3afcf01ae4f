// LogfmtParser: `key=value key2="quoted \"value\"" flag` records, scanned in one pass.
//
// The grammar (docs/parsers.md has it with examples):
// - Pairs are separated by whitespace: any byte <= 0x20 (space, tab, CR, LF, other controls).
// - A key is a run of bytes other than whitespace, `=` and `"`. A key followed by `=` has a
//   value; a key on its own (a bare key) is the boolean true.
// - A value is either quoted, from `"` to the next `"` not escaped by a backslash (escapes:
//   \" \\ \/ \n \r \t \b \f \uXXXX; any other backslash is kept as is; an unclosed quote runs to
//   the end of the record), or bare: every byte up to the next whitespace (`=` and `"` included).
// - `key=` is the empty string. A quoted string where a key should be is skipped, and so is the
//   value after a lone `=`: free text around pairs does not stop the scan.
// - A repeated key: the last one wins.
// - Unquoted `true`/`false` are booleans; unquoted values that are whole numbers (integers,
//   decimals, exponents) are numbers; everything else, and every quoted value, is a string.
// No record is rejected: any bytes are some set of pairs (possibly none).
//
// A planned path matches the key made of its segments joined with dots, so both `http.method`
// (a nested path, which is how JSON would write it) and `"http.method"` match the logfmt key
// `http.method`.
//
// Speed: keys are looked up through two bit sets (by length and by first byte), so most
// unplanned keys cost two loads; unplanned values are skipped without being looked at beyond
// finding their end; only planned quoted values holding a backslash are copied (unescaped) into
// scratch memory sized once to the longest record seen.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/component.h"
#include "parsers/parser.h"

namespace logtally::parsers {

class LogfmtParser final : public Parser {
 public:
  explicit LogfmtParser(const core::FieldPlan& plan);
  [[nodiscard]] ParseStatus parse(std::string_view record, core::Record& out) noexcept override;

 private:
  struct Key {
    std::string text;   ///< Path segments joined with '.'.
    uint32_t slot = 0;  ///< Slot it fills.
    uint8_t uses = 0;   ///< core::FieldUse bits.
  };
  static constexpr size_t kMaxIndexedLength = 63;  ///< Longer keys share the last length bucket.

  /// Bit set of the keys (first 64) that may equal `key`; `key` is not empty.
  uint64_t candidates(const char* key, size_t length) const noexcept {
    return by_length_[length < kMaxIndexedLength ? length : kMaxIndexedLength] &
           by_first_byte_[static_cast<uint8_t>(key[0])];
  }
  void set_bare(const Key& k, std::string_view value, core::Record& out) noexcept;
  std::string_view unescape(std::string_view quoted_body) noexcept;

  std::vector<Key> keys_;
  bool many_keys_ = false;  ///< More than 64 planned keys: the bit sets cover the first 64 only.
  std::array<uint64_t, kMaxIndexedLength + 1> by_length_{};
  std::array<uint64_t, 256> by_first_byte_{};
  std::unique_ptr<char[]> scratch_;  ///< Unescaped values of the current record.
  size_t scratch_capacity_ = 0;
  size_t scratch_used_ = 0;
  size_t record_size_ = 0;  ///< Size of the record being parsed (bounds its unescaped values).
};

/// `parser: logfmt`.
config::ParserEntry logfmt_parser_entry();
std::shared_ptr<const ParserSpec> logfmt_parser_spec();

}  // namespace logtally::parsers
