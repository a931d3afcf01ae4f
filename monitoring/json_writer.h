// Json: a small JSON value (object with keys in insertion order, array, string, number, bool,
// null) and its text, for the Grafana dashboards logtally writes. Built once per command;
// never on the hot path.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace logtally::monitoring {

class Json {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Json() = default;
  Json(bool b) : kind_(Kind::kBool), bool_(b) {}                        // NOLINT
  Json(double v) : kind_(Kind::kNumber), number_(v) {}                  // NOLINT
  Json(int v) : kind_(Kind::kNumber), number_(v) {}                     // NOLINT
  Json(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}  // NOLINT
  Json(const char* s) : kind_(Kind::kString), string_(s) {}             // NOLINT

  static Json object() { return Json(Kind::kObject); }
  static Json array() { return Json(Kind::kArray); }

  /// Objects: adds (or replaces) `key`. Returns *this for chaining.
  Json& set(const std::string& key, Json value);
  /// Arrays: appends `value`. Returns *this for chaining.
  Json& push(Json value);

  /// The text, indented by two spaces per level, ending with a newline. Strings are escaped as
  /// JSON requires; invalid UTF-8 becomes U+FFFD.
  std::string dump() const;

 private:
  explicit Json(Kind k) : kind_(k) {}
  void write(std::string& out, int indent) const;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<std::string> keys_;
  std::vector<Json> values_;  ///< Array items, or object values parallel to keys_.
};

}  // namespace logtally::monitoring
