// JsonParser: one JSON object per record, read lazily with simdjson On-Demand.
//
// Only the planned fields are touched: the top-level object's keys are walked once, each key is
// compared against the plan's trie, and values of unplanned keys are skipped without being
// decoded. Consequences, documented in docs/parsers.md:
// - Syntax errors inside skipped values may go unnoticed (simdjson's stage 1 still rejects
//   invalid UTF-8, unterminated strings and stray control characters anywhere in the record).
//   A record that is not an object is fully validated, to tell `invalid_json` from `not_object`.
// - A record with invalid UTF-8 is repaired (each bad sequence becomes U+FFFD) and parsed again,
//   so one bad byte in a message does not lose the record.
// - A planned string with an invalid escape (a lone UTF-16 surrogate) makes the record
//   `invalid_json`; unplanned strings are never decoded, so they cannot.
// - Keys are matched as raw bytes: a key written with escapes (`"lev\u0065l"`) does not match.
// - Duplicate keys: the first one wins (later ones are not read).
// - Once every planned key of an object has been seen, the rest of that object is not read at
//   all; then only the record's last non-blank byte is checked to be `}` (a truncated line is
//   `invalid_json`). A record read to its end is checked for trailing content instead.
#pragma once

#include <array>
#include <string>

#include <simdjson.h>

#include "config/component.h"
#include "parsers/parser.h"

namespace logtally::parsers {

class JsonParser final : public Parser {
 public:
  explicit JsonParser(const core::FieldPlan& plan);
  [[nodiscard]] ParseStatus parse(std::string_view record, core::Record& out) noexcept override;

 private:
  ParseStatus parse_padded(const char* data, size_t size, size_t capacity,
                           core::Record& out) noexcept;
  ParseStatus classify_non_object(const char* data, size_t size, size_t capacity) noexcept;

  // Key matching is the innermost loop (every key of every record is looked up among the
  // planned keys of its object), so:
  // - each node has a table from a key's first byte to the children that start with it, so
  //   most unplanned keys are rejected with one load;
  // - each planned key is pre-encoded as `key"` in up to kKeyWords 8-byte words with masks:
  //   a few unaligned loads compare it exactly, closing quote included, with no memcmp.
  static constexpr size_t kKeyWords = 4;
  struct Child {
    std::string_view key;
    uint64_t words[kKeyWords] = {};  ///< `key"` in little-endian words (while it fits).
    uint64_t masks[kKeyWords] = {};  ///< Significant bytes of each word.
    uint8_t word_count = 0;          ///< 0: the key is too long or not plain; use is_equal.
    uint32_t node = 0;
  };
  struct Node {
    int32_t slot = -1;
    uint8_t uses = 0;
    std::vector<Child> children;
    /// Children whose key starts with a given byte, as a bit set (first 64 children).
    std::array<uint64_t, 256> by_first_byte{};
  };
  static bool key_matches(const simdjson::ondemand::raw_json_string& key, const Child& c) noexcept;

  /// Fills the planned fields of `obj`. Sets `complete` to false if it stopped before the end
  /// of `obj` because every planned key had been seen.
  simdjson::error_code walk_object(simdjson::ondemand::object obj, const Node& node,
                                   core::Record& out, bool& complete) noexcept;
  simdjson::error_code extract(simdjson::ondemand::value value, const Node& node,
                               core::Record& out) noexcept;

  const core::FieldPlan& plan_;
  std::vector<Node> nodes_;
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser validator_;  ///< Full validation of non-object records (rare path).
  std::string repaired_;             ///< Scratch for records with invalid UTF-8 (rare path).
};

/// `parser: json`. Also what pipelines built by hand (tests, benchmarks) use.
config::ParserEntry json_parser_entry();
std::shared_ptr<const ParserSpec> json_parser_spec();

}  // namespace logtally::parsers
