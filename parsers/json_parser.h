// JsonParser: one JSON object per record, read with simdjson On-Demand. docs/json.md states for
// every kind of input what each validation mode accepts.
//
// Only the planned fields are decoded: the top-level object's keys are walked once, each key is
// compared against the plan's trie as raw bytes (`"lev\u0065l"` does not match `level`), and
// values of unplanned keys are never decoded. Repeated keys: the first one wins. How much of
// the rest is validated is the `validate` option (JsonValidate):
// - kFull (the default): the record counts only if the whole of it is valid JSON (RFC 8259).
//   Every key and value is walked to the end of the object; each value the pipeline does not
//   use is validated without being decoded (literals spelled out, numbers by the RFC's grammar,
//   containers walked, nesting at most kMaxDepth), every backslash escape in the record is
//   checked once up front, and nothing may follow the object. simdjson's stage 1 rejects
//   invalid UTF-8, unterminated strings and raw control characters in strings.
// - kTouched: only what is read is validated. Once every planned key of an object has been seen
//   the rest of that object is not read; then only the record's last non-blank byte is checked
//   to be `}` (a truncated line is `invalid_json`). Unplanned values are skipped unvalidated.
//   A record read to its end is checked for trailing content.
// In both modes:
// - Planned values are validated as they are decoded: a planned string with an invalid escape
//   (a lone UTF-16 surrogate too) makes the record `invalid_json`. A lone surrogate escape in a
//   string that is not read is valid JSON (RFC 8259 section 8.2 allows it) and never decoded.
// - A record with invalid UTF-8 is repaired (each bad sequence becomes U+FFFD) and parsed again,
//   so one bad byte in a message does not lose the record.
// - A record that is not an object is fully validated (simdjson DOM), to tell `invalid_json`
//   from `not_object`.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "config/component.h"
#include "parsers/parser.h"

namespace logtally::parsers {

/// How much of a record the json parser validates (the `validate` option).
enum class JsonValidate : uint8_t {
  kFull,     ///< `full`: the whole record must be valid JSON, used or not (the default).
  kTouched,  ///< `touched`: only what is read; reading stops after the last planned key.
};

class JsonParser final : public Parser {
 public:
  /// Containers nested deeper than this (the top-level object is depth 1) are `invalid_json`
  /// wherever they are validated; simdjson's DOM parser has the same limit.
  static constexpr uint32_t kMaxDepth = 1024;

  explicit JsonParser(const core::FieldPlan& plan, JsonValidate validate = JsonValidate::kFull);
  [[nodiscard]] ParseStatus parse(std::string_view record, core::Record& out) noexcept override;

 private:
  ParseStatus parse_padded(const char* data, size_t size, size_t capacity,
                           core::Record& out) noexcept;
  ParseStatus classify_non_object(const char* data, size_t size, size_t capacity) noexcept;

  // Key matching is the innermost loop (every key of every record is looked up among the
  // planned keys of its object), so:
  // - each node has a table from a key's first byte to the children that may start with it, so
  //   most unplanned keys are rejected with two loads, however many keys are planned;
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
    /// candidates[first[b]] up to candidates[first[b + 1]] are the indexes of the children
    /// whose key may start with byte b in a record.
    std::array<uint32_t, 257> first{};
    std::vector<uint32_t> candidates;
    uint32_t seen_offset = 0;  ///< First word of this node's bits in seen_.
  };
  static bool key_matches(const simdjson::ondemand::raw_json_string& key, const Child& c) noexcept;

  /// Fills the planned fields of `obj` (at nesting `depth`). Sets `complete` to false if it
  /// stopped before the end of `obj` because every planned key had been seen (kTouched only).
  simdjson::error_code walk_object(simdjson::ondemand::object obj, const Node& node,
                                   core::Record& out, uint32_t depth, bool& complete) noexcept;
  simdjson::error_code extract(simdjson::ondemand::value value, const Node& node, core::Record& out,
                               uint32_t depth) noexcept;
  /// kFull: validates a value that is not used, at nesting `depth`, without decoding it.
  static simdjson::error_code validate_value(simdjson::ondemand::value value,
                                             uint32_t depth) noexcept;

  const core::FieldPlan& plan_;
  JsonValidate validate_;
  std::vector<Node> nodes_;
  /// Keys seen in the object being walked: a bit per planned child, per node (so that nested
  /// walks do not share words); sized once, so no record allocates.
  std::vector<uint64_t> seen_;
  simdjson::ondemand::parser parser_;
  simdjson::dom::parser validator_;  ///< Full validation of non-object records (rare path).
  std::string repaired_;             ///< Scratch for records with invalid UTF-8 (rare path).
};

/// `parser: json`: its options.
struct JsonParserConfig final : ParserSpec {
  JsonValidate validate = JsonValidate::kFull;

  std::string_view type_name() const noexcept override { return "json"; }
  std::string describe_details() const override;
  std::unique_ptr<Parser> make(const core::FieldPlan& plan) const override;
};

/// `parser: json`.
config::ParserEntry json_parser_entry();
/// The json parser with its defaults; also what pipelines built by hand (tests, benchmarks) use.
std::shared_ptr<const ParserSpec> json_parser_spec();
/// The json parser validating as `validate` says.
std::shared_ptr<const ParserSpec> json_parser_spec(JsonValidate validate);

/// Reads the `validate` option of a parser section `n` (json and auto), reporting a bad value.
std::optional<JsonValidate> read_json_validate(config::Reader& reader, const YAML::Node& n,
                                               const config::OptionTable& table,
                                               const std::string& what);
/// The `validate` row of the json and auto parsers' option tables.
config::Option json_validate_option();

}  // namespace logtally::parsers
