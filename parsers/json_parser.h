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
// - Duplicate keys: the last one wins.
#pragma once

#include <string>

#include <simdjson.h>

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

  struct Child {
    std::string_view key;
    bool plain = true;  ///< No quote or backslash: raw bytes compare directly.
    uint32_t node = 0;
  };
  struct Node {
    int32_t slot = -1;
    uint8_t uses = 0;
    std::vector<Child> children;
  };

  simdjson::error_code walk_object(simdjson::ondemand::object obj, const Node& node,
                                   core::Record& out) noexcept;
  simdjson::error_code extract(simdjson::ondemand::value value, const Node& node,
                               core::Record& out) noexcept;

  const core::FieldPlan& plan_;
  std::vector<Node> nodes_;
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser validator_;  ///< Full validation of non-object records (rare path).
  std::string repaired_;             ///< Scratch for records with invalid UTF-8 (rare path).
};

}  // namespace logtally::parsers
