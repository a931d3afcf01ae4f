// JsonParser: one JSON object per record. docs/json.md states for every kind of input what each
// validation mode accepts.
//
// How a record is read: simdjson's stage 1 (run-time dispatched to the CPU's best kernel)
// indexes the record's structural characters and the start of every scalar, and rejects
// invalid UTF-8, unterminated strings and raw control characters in strings. Then one walk
// over that index (our own "stage 2") checks the grammar and fills the planned fields: the
// top-level object's keys are compared against the plan's trie as raw bytes (`"lev\u0065l"`
// does not match `level`), and values of unplanned keys are never decoded. Repeated keys: the
// first one wins. Between begin_batch() and end_batch(), stage 1 runs once over all the
// records of a batch of newline-separated lines (a file or stdin), which costs less than once
// per record; any stage-1 error sends that batch back to stage 1 per record.
//
// How much of the rest is validated is the `validate` option (JsonValidate):
// - kFull (the default): the record counts only if the whole of it is valid JSON (RFC 8259).
//   Every key and value is walked to the end of the object; each value the pipeline does not
//   use is validated without being decoded (literals spelled out, numbers by the RFC's grammar,
//   commas, colons and brackets in place, nesting at most kMaxDepth), every backslash escape
//   in the record is checked once up front, and nothing may follow the object.
// - kTouched: only what is read is validated. Once every planned key of an object has been seen
//   the rest of that object is not read; then only the record's last non-blank byte is checked
//   to be `}` (a truncated line is `invalid_json`). Unplanned values are skipped by counting
//   brackets, unvalidated. A record read to its end is checked for trailing content.
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
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "config/component.h"
#include "core/batch.h"
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
  void begin_batch(const core::Batch& batch) noexcept override;
  void end_batch() noexcept override { batch_.active = false; }
  /// True between begin_batch() and end_batch() if stage 1 ran once for the whole batch (for
  /// tests: otherwise each record is indexed alone).
  bool batch_indexed() const noexcept { return batch_.active; }

 private:
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
    uint8_t word_count = 0;          ///< 0: the key is too long or not plain; compare bytes.
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

  /// The tokens of one record: stage 1's structural positions from `idx[first]` on, relative
  /// to `base`; the record's bytes end at position `limit`. Stage 1 ends its index with
  /// entries at the indexed input's end, so the token after the record's last one always has a
  /// position >= limit: walks stop there without counting tokens. (Every walk steps at most one
  /// token past one it has seen, so it never reads past those entries.)
  struct Tokens {
    const char* base;
    const uint32_t* idx;
    uint32_t limit;
    /// The first byte of token `t`, or '\0' past the record's last token.
    char at(uint32_t t) const noexcept { return idx[t] < limit ? base[idx[t]] : '\0'; }
    /// Token `t` (one that at() showed) up to the next token or the record's end, without
    /// trailing blanks.
    std::string_view text(uint32_t t) const noexcept;
  };
  /// What walk functions return instead of a token index when the record is invalid.
  static constexpr uint32_t kFail = UINT32_MAX;

  /// Stage 1 over `size` bytes at `data` (followed by kPadding readable bytes).
  simdjson::error_code index(const char* data, size_t size) noexcept;
  ParseStatus parse_alone(const char* data, size_t size, core::Record& out) noexcept;
  /// Parses the record whose first token is `first`; sets last_token_ to where it stopped.
  ParseStatus parse_tokens(const Tokens& tk, uint32_t first, const char* data, size_t size,
                           core::Record& out) noexcept;
  ParseStatus classify_non_object(const char* data, size_t size) noexcept;
  static bool key_matches(const char* raw, const Tokens& tk, uint32_t t, const Child& c) noexcept;

  /// Fills the planned fields of the object whose first token after `{` is `t` (at nesting
  /// `depth`); returns the token after its `}`, or kFail. kTouched: once every planned key was
  /// seen it returns the token after the last planned value and sets `complete` to false.
  uint32_t walk_object(const Tokens& tk, uint32_t t, const Node& node, core::Record& out,
                       uint32_t depth, bool& complete) noexcept;
  uint32_t extract(const Tokens& tk, uint32_t t, const Node& node, core::Record& out,
                   uint32_t depth) noexcept;
  /// kFull: validates the value at token `t` (a container there is at nesting `depth`) without
  /// decoding it; returns the token after it, or kFail.
  static uint32_t validate_value(const Tokens& tk, uint32_t t, uint32_t depth) noexcept;
  /// validate_value() for a container at token `t`.
  static uint32_t validate_container(const Tokens& tk, uint32_t t, uint32_t depth) noexcept;
  /// kTouched: the token after the value at `t`, counting brackets only.
  static uint32_t skip_value(const Tokens& tk, uint32_t t) noexcept;
  /// kTouched: the token after the `}` closing the object whose rest starts at `t`.
  static uint32_t skip_rest(const Tokens& tk, uint32_t t) noexcept;

  const core::FieldPlan& plan_;
  JsonValidate validate_;
  std::vector<Node> nodes_;
  /// Keys seen in the object being walked: a bit per planned child, per node (so that nested
  /// walks do not share words); sized once, so no record allocates.
  std::vector<uint64_t> seen_;
  /// simdjson's stage 1 (its structural index), run-time dispatched; grown as input needs.
  std::unique_ptr<simdjson::internal::dom_parser_implementation> stage1_;
  /// Unescaped planned strings of the current record (capacity: the record plus padding).
  std::unique_ptr<char[]> strings_;
  size_t strings_capacity_ = 0;
  char* strings_next_ = nullptr;
  /// The batch indexed by begin_batch(), while `active`.
  struct BatchIndex {
    bool active = false;
    const char* base = nullptr;  ///< Start of the first record; token positions are from here.
    const core::Span* spans = nullptr;
    const char* end = nullptr;   ///< End of the last record.
    const char* data = nullptr;  ///< The batch buffer (spans are offsets into it).
    size_t count = 0;
    size_t next_record = 0;  ///< The first span not yet parsed.
    uint32_t next_token = 0;
  } batch_;
  uint32_t last_token_ = 0;  ///< Where the last parse_tokens() stopped.
  /// kFull: records ending at or before this hold no backslash (batch mode), so their escapes
  /// need no check; null when each record is checked.
  const char* next_backslash_ = nullptr;
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
