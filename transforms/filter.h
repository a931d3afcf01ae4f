// Filter: a compiled boolean expression over a record's fields (a pipeline's `filter:` and a
// metric's `when:`).
//
// Contract:
// - compile_filter() runs once at start. It parses the expression, compiles every regular
//   expression (RE2), adds every field it names to the pipeline's FieldPlan, and reports a
//   syntax error with the 1-based column inside the expression text.
// - A Filter is immutable after compile and shared read-only by all workers. matches() runs per
//   record: it walks a flat node array, allocates nothing, takes no lock, touches no atomic.
// - A filter of any length evaluates: a chain of one operator is one node, so evaluation
//   recurses once per level of nesting (parentheses and `!`, at most 200 levels), never once per
//   operand.
//
// Semantics (docs/transforms.md has the user-facing version):
// - A comparison with an absent field is false, whatever the operator (`!=` and `!~` too): use
//   `!(f == "x")` to also accept records without `f`.
// - `<`, `<=`, `>`, `>=`, `==`, `!=` against a number literal compare numbers: the field must be
//   a JSON number or a string holding a decimal number, otherwise the comparison is false.
//   Against a string literal they compare the field's text byte-wise. Field against field
//   compares numbers if both are numeric, else text.
// - `=~` and `!~` take a string literal on the right, an RE2 pattern matched against the WHOLE
//   text (anchored, like PromQL); write `.*x.*` for "contains".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.h"
#include "core/result.h"

namespace re2 {
class RE2;
}

namespace logtally::transforms {

class Filter {
 public:
  Filter() = default;
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  /// True if the record passes. An empty Filter (no expression) accepts everything.
  [[nodiscard]] bool matches(const core::Record& record) const noexcept {
    return nodes_.empty() || eval(root_, record);
  }
  bool empty() const noexcept { return nodes_.empty(); }
  const std::string& text() const noexcept { return text_; }

  enum class Op : uint8_t {
    kAnd,       ///< a && b
    kOr,        ///< a || b
    kNot,       ///< !a
    kExists,    ///< exists(field)
    kEq,        ///< a == b
    kNe,        ///< a != b
    kLt,        ///< a < b
    kLe,        ///< a <= b
    kGt,        ///< a > b
    kGe,        ///< a >= b
    kMatch,     ///< field =~ "re"
    kNotMatch,  ///< field !~ "re"
  };
  /// One operand of a comparison.
  struct Operand {
    enum class Kind : uint8_t {
      kField,   ///< `slot` of the record.
      kString,  ///< `text`.
      kNumber,  ///< `number`.
    };
    Kind kind = Kind::kField;
    uint32_t slot = 0;
    double number = 0;
    std::string text;
  };
  struct Node {
    Op op = Op::kAnd;
    uint32_t a = 0;  ///< kNot: the child node. kAnd, kOr: index of the first operand in children_.
    uint32_t b = 0;  ///< kAnd, kOr: the number of operands (a chain `x && y && z` is one node).
    Operand lhs;     ///< Comparisons and kExists.
    Operand rhs;
    const re2::RE2* regex = nullptr;  ///< kMatch, kNotMatch (owned by regexes_).
  };

 private:
  friend class FilterCompiler;
  bool eval(uint32_t node, const core::Record& record) const noexcept;

  std::string text_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> children_;  ///< Operands of kAnd/kOr nodes, each chain's contiguous.
  uint32_t root_ = 0;
  std::vector<std::unique_ptr<re2::RE2>> regexes_;
};

/// Compiles `text`; fields it names are added to `plan` (as text). On error the message is
/// `column N: what is wrong; what was expected` with N the 1-based column within `text`, and
/// Error::code is kConfig. The column is also returned through error_column() for mapping into
/// the YAML file.
core::Result<Filter> compile_filter(std::string_view text, core::FieldPlan& plan);

/// Parses the `column N:` prefix of a compile_filter error message (0 if there is none).
int error_column(const core::Error& error);

}  // namespace logtally::transforms
