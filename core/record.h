// Record and FieldPlan: what a parser fills in for one record.
//
// Contract:
// - A FieldPlan is compiled once at start from every field some pipeline uses. Each distinct
//   field path gets one slot. The plan is immutable afterwards and shared read-only by workers.
// - A Record holds one FieldValue per slot. A worker owns its Records; a parser fills only the
//   planned slots and leaves the rest absent. String views point into the batch buffer or the
//   parser's own scratch memory and are valid until the parser's next parse() call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace logtally::core {

/// A dotted path into nested objects: `kubernetes.labels.app` is {"kubernetes","labels","app"}.
/// A segment written in double quotes may contain dots: `"log.level"` is the one key `log.level`.
struct FieldPath {
  std::vector<std::string> segments;

  bool operator==(const FieldPath& other) const { return segments == other.segments; }
  /// The path written back the way a user would write it (quoting segments with dots).
  std::string to_string() const;
};

/// Parses a path as written in the config. On error, the message says which column (1-based,
/// within `text`) is wrong.
Result<FieldPath> parse_field_path(std::string_view text);

/// One slot of a Record.
struct FieldValue {
  enum class Kind : uint8_t {
    kAbsent,  ///< Not in the record, JSON null, or an object/array (not a scalar).
    kString,  ///< `text` is the unescaped string.
    kNumber,  ///< `text` is the number as written; `number` holds its value if requested.
    kBool,    ///< `text` is "true" or "false".
  };
  Kind kind = Kind::kAbsent;
  bool has_number = false;  ///< `number` is valid (set by parsers for kNumber when asked).
  double number = 0;
  std::string_view text;
};

/// How a pipeline uses a field; parsers do only the work the union of uses needs.
enum FieldUse : uint8_t {
  kUseText = 1,    ///< Needed as text (a label value).
  kUseNumber = 2,  ///< Needed as a number (a metric value).
};

class FieldPlan {
 public:
  /// A trie node over path segments. Node 0 is the root (the record itself).
  struct Node {
    std::string key;    ///< Segment leading to this node (empty for the root).
    int32_t slot = -1;  ///< Slot index if a planned path ends here.
    uint8_t uses = 0;   ///< FieldUse bits of that slot.
    std::vector<uint32_t> children;
  };

  /// A planned source field (`_source.<name>`, see core/source_fields.h). It has a slot like
  /// any field but is not in the parse trie: parsers never fill it, the pipeline does.
  struct SourceField {
    std::string name;  ///< Without the prefix: "path", "pod", "stream".
    uint32_t slot = 0;
    uint8_t uses = 0;
  };

  FieldPlan() : nodes_(1) {}

  /// Adds a path (or merges its uses into an existing one) and returns its slot. A path of two
  /// or more segments whose first is `_source` becomes a source field instead of a trie path.
  uint32_t add(const FieldPath& path, uint8_t uses);

  size_t slot_count() const noexcept { return paths_.size(); }
  const std::vector<Node>& nodes() const noexcept { return nodes_; }
  const Node& root() const noexcept { return nodes_[0]; }
  const FieldPath& path(uint32_t slot) const { return paths_[slot]; }
  const std::vector<SourceField>& source_fields() const noexcept { return source_fields_; }

 private:
  std::vector<Node> nodes_;
  std::vector<SourceField> source_fields_;
  std::vector<FieldPath> paths_;
};

/// The planned fields of one record.
class Record {
 public:
  explicit Record(size_t slots = 0) : slots_(slots) {}

  void clear() noexcept {
    for (auto& s : slots_) s.kind = FieldValue::Kind::kAbsent;
  }
  FieldValue& slot(uint32_t i) noexcept { return slots_[i]; }
  const FieldValue& slot(uint32_t i) const noexcept { return slots_[i]; }
  size_t size() const noexcept { return slots_.size(); }

 private:
  std::vector<FieldValue> slots_;
};

}  // namespace logtally::core
