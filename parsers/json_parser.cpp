#include "parsers/json_parser.h"

#include "core/batch.h"
#include "core/utf8.h"

namespace logtally::parsers {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(core::kPadding >= simdjson::SIMDJSON_PADDING,
              "batch padding must cover simdjson's read-ahead");

JsonParser::JsonParser(const core::FieldPlan& plan) : plan_(plan) {
  // Mirror the plan's trie with string_views and a precomputed "plain key" flag, so the hot
  // loop does no string construction and picks the cheap raw comparison when it is exact.
  const auto& pn = plan_.nodes();
  nodes_.resize(pn.size());
  for (size_t i = 0; i < pn.size(); ++i) {
    nodes_[i].slot = pn[i].slot;
    nodes_[i].uses = pn[i].uses;
    for (uint32_t c : pn[i].children) {
      Child child;
      child.key = pn[c].key;
      child.plain = child.key.find_first_of("\"\\") == std::string_view::npos;
      child.node = c;
      nodes_[i].children.push_back(child);
    }
  }
}

ParseStatus JsonParser::parse(std::string_view record, core::Record& out) noexcept {
  out.clear();
  return parse_padded(record.data(), record.size(), record.size() + core::kPadding, out);
}

ParseStatus JsonParser::parse_padded(const char* data, size_t size, size_t capacity,
                                     core::Record& out) noexcept {
  od::document doc;
  error_code err = parser_.iterate(data, size, capacity).get(doc);
  if (err == simdjson::UTF8_ERROR && data != repaired_.data()) {
    // Rare path: repair invalid UTF-8 into scratch memory and parse that instead. The repaired
    // text is valid UTF-8, so this recursion happens at most once.
    repaired_.clear();
    core::append_repaired_utf8(std::string_view(data, size), repaired_);
    const size_t n = repaired_.size();
    repaired_.append(core::kPadding, ' ');
    out.clear();
    return parse_padded(repaired_.data(), n, n + core::kPadding, out);
  }
  if (err) return ParseStatus::kInvalidJson;

  od::object obj;
  err = doc.get_object().get(obj);
  if (err == simdjson::INCORRECT_TYPE) return classify_non_object(data, size, capacity);
  if (err) return ParseStatus::kInvalidJson;
  if (walk_object(obj, nodes_[0], out)) {
    out.clear();
    return ParseStatus::kInvalidJson;
  }
  // Anything after the object (a second value, a stray bracket) makes the record invalid.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    out.clear();
    return ParseStatus::kInvalidJson;
  }
  return ParseStatus::kOk;
}

ParseStatus JsonParser::classify_non_object(const char* data, size_t size,
                                            size_t capacity) noexcept {
  // On-Demand validates lazily; to tell a valid scalar/array from broken JSON we run the DOM
  // parser, which validates everything (and bounds nesting depth, so deep input is safe).
  simdjson::dom::element element;
  (void)capacity;  // The DOM parser needs the same padding, which the caller guarantees.
  const error_code err = validator_.parse(data, size, false).get(element);
  return err ? ParseStatus::kInvalidJson : ParseStatus::kNotObject;
}

error_code JsonParser::walk_object(od::object obj, const Node& node, core::Record& out) noexcept {
  for (auto field_result : obj) {
    od::field field;
    if (error_code e = std::move(field_result).get(field)) return e;
    const od::raw_json_string key = field.key();
    const Child* match = nullptr;
    for (const Child& c : node.children) {
      if (c.plain ? key.unsafe_is_equal(c.key) : key.is_equal(c.key)) {
        match = &c;
        break;
      }
    }
    // Unplanned keys: their values are skipped by the next iteration step, never decoded.
    if (match == nullptr) continue;
    const Node& child = nodes_[match->node];
    od::value value = field.value();
    if (!child.children.empty()) {
      od::json_type type;
      if (error_code e = value.type().get(type)) return e;
      if (type == od::json_type::object) {
        od::object inner;
        if (error_code e = value.get_object().get(inner)) return e;
        if (error_code e = walk_object(inner, child, out)) return e;
        continue;
      }
    }
    if (child.slot >= 0) {
      if (error_code e = extract(value, child, out)) return e;
    }
  }
  return simdjson::SUCCESS;
}

error_code JsonParser::extract(od::value value, const Node& node, core::Record& out) noexcept {
  od::json_type type;
  if (error_code e = value.type().get(type)) return e;
  core::FieldValue& f = out.slot(static_cast<uint32_t>(node.slot));
  f.has_number = false;
  switch (type) {
    case od::json_type::string: {
      std::string_view s;
      if (error_code e = value.get_string().get(s)) return e;
      f.kind = core::FieldValue::Kind::kString;
      f.text = s;
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // raw_json_token() peeks at the token without consuming it; the label text is the number
      // exactly as written (trailing whitespace up to the next structural trimmed).
      std::string_view raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                              raw.back() == '\r')) {
        raw.remove_suffix(1);
      }
      double d;
      if (error_code e = value.get_double().get(d)) return e;
      f.kind = core::FieldValue::Kind::kNumber;
      f.text = raw;
      f.number = d;
      f.has_number = true;
      return simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool b;
      if (error_code e = value.get_bool().get(b)) return e;
      f.kind = core::FieldValue::Kind::kBool;
      f.text = b ? std::string_view("true") : std::string_view("false");
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (error_code e = value.is_null().get(is_null)) return e;
      if (!is_null) return simdjson::INCORRECT_TYPE;
      f.kind = core::FieldValue::Kind::kAbsent;
      return simdjson::SUCCESS;
    }
    case od::json_type::object:
    case od::json_type::array:
      // Not a scalar: treated as absent; the iterator skips the value.
      f.kind = core::FieldValue::Kind::kAbsent;
      return simdjson::SUCCESS;
  }
  return simdjson::SUCCESS;
}

}  // namespace logtally::parsers
