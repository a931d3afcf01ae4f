#include "parsers/json_parser.h"

#include <algorithm>
#include <cstring>

#include "core/batch.h"
#include "core/utf8.h"

namespace logtally::parsers {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(core::kPadding >= simdjson::SIMDJSON_PADDING,
              "batch padding must cover simdjson's read-ahead");

JsonParser::JsonParser(const core::FieldPlan& plan) : plan_(plan) {
  // Mirror the plan's trie with pre-encoded keys (see Child), so the hot loop builds no strings.
  const auto& pn = plan_.nodes();
  nodes_.resize(pn.size());
  for (size_t i = 0; i < pn.size(); ++i) {
    nodes_[i].slot = pn[i].slot;
    nodes_[i].uses = pn[i].uses;
    for (uint32_t c : pn[i].children) {
      Child child;
      child.key = pn[c].key;
      child.node = c;
      const bool plain = child.key.find_first_of("\"\\") == std::string_view::npos;
      const size_t bytes = child.key.size() + 1;  // with the closing quote
      if (plain && bytes <= 8 * kKeyWords) {
        child.word_count = static_cast<uint8_t>((bytes + 7) / 8);
        for (size_t w = 0; w < child.word_count; ++w) {
          char chunk[8] = {};
          const size_t n = std::min<size_t>(8, bytes - 8 * w);
          for (size_t k = 0; k < n; ++k) {
            const size_t at = 8 * w + k;
            chunk[k] = at < child.key.size() ? child.key[at] : '"';
          }
          std::memcpy(&child.words[w], chunk, 8);
          child.masks[w] = n == 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * n)) - 1);
        }
      }
      const size_t index = nodes_[i].children.size();
      // An empty key starts with its closing quote; a key written with escapes in the record
      // may start with a backslash, so such planned keys are candidates for that byte too.
      const auto first = static_cast<uint8_t>(child.key.empty() ? '"' : child.key[0]);
      if (index < 64) {
        nodes_[i].by_first_byte[first] |= uint64_t{1} << index;
        if (!plain) nodes_[i].by_first_byte['\\'] |= uint64_t{1} << index;
      }
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
  bool read_to_end = true;
  if (walk_object(obj, nodes_[0], out, read_to_end)) {
    out.clear();
    return ParseStatus::kInvalidJson;
  }
  if (read_to_end) {
    // Anything after the object (a second value, a stray bracket) makes the record invalid.
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
      out.clear();
      return ParseStatus::kInvalidJson;
    }
  } else {
    // We stopped before the end, so check cheaply that the record at least ends the way an
    // object does; this catches truncated lines, the common real-world breakage.
    size_t end = size;
    while (end > 0 && (data[end - 1] == ' ' || data[end - 1] == '\t' || data[end - 1] == '\r' ||
                       data[end - 1] == '\n')) {
      --end;
    }
    if (end == 0 || data[end - 1] != '}') {
      out.clear();
      return ParseStatus::kInvalidJson;
    }
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

inline bool JsonParser::key_matches(const od::raw_json_string& key, const Child& c) noexcept {
  if (c.word_count == 0) return key.is_equal(c.key);
  // Reading whole words from the key's start is safe: kPadding bytes follow every record, and
  // a key's words reach at most 7 bytes past its closing quote.
  const char* raw = key.raw();
  for (size_t w = 0; w < c.word_count; ++w) {
    uint64_t word;
    std::memcpy(&word, raw + 8 * w, 8);
    if ((word & c.masks[w]) != c.words[w]) return false;
  }
  return true;
}

namespace {

// True if `t` is made only of characters a JSON number may contain. Used instead of a full
// number parse when a number is wanted only as label text.
bool looks_numeric(std::string_view t) noexcept {
  for (const char c : t) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
      return false;
    }
  }
  return !t.empty();
}

}  // namespace

// Inlined into walk_object: it runs for every planned field, and passing the value iterator
// through a call costs more than the work in the common cases.
[[gnu::always_inline]] inline error_code JsonParser::extract(od::value value, const Node& node,
                                                             core::Record& out) noexcept {
  // The first byte of the token says its type; this peek is cheaper than value.type().
  std::string_view raw = value.raw_json_token();
  core::FieldValue& f = out.slot(static_cast<uint32_t>(node.slot));
  f.has_number = false;
  switch (raw.empty() ? '\0' : raw[0]) {
    case '"': {
      // Fast path: a string without escapes is its raw bytes between the quotes, a view into
      // the batch with no copy (stage 1 already rejected control characters and bad UTF-8).
      // The unconsumed value is skipped by the object iterator.
      std::string_view body = raw;
      while (body.size() > 1 && body.back() != '"') body.remove_suffix(1);  // trailing blanks
      if (body.size() >= 2) {
        body = body.substr(1, body.size() - 2);
        if (body.find('\\') == std::string_view::npos) {
          f.kind = core::FieldValue::Kind::kString;
          f.text = body;
          return simdjson::SUCCESS;
        }
      }
      std::string_view s;
      if (error_code e = value.get_string().get(s)) return e;
      f.kind = core::FieldValue::Kind::kString;
      f.text = s;
      return simdjson::SUCCESS;
    }
    case 't':
    case 'f': {
      bool b;
      if (error_code e = value.get_bool().get(b)) return e;
      f.kind = core::FieldValue::Kind::kBool;
      f.text = b ? std::string_view("true") : std::string_view("false");
      return simdjson::SUCCESS;
    }
    case 'n': {
      bool is_null = false;
      if (error_code e = value.is_null().get(is_null)) return e;
      if (!is_null) return simdjson::INCORRECT_TYPE;
      f.kind = core::FieldValue::Kind::kAbsent;
      return simdjson::SUCCESS;
    }
    case '{':
    case '[':
      // Not a scalar: treated as absent; the iterator skips the value.
      f.kind = core::FieldValue::Kind::kAbsent;
      return simdjson::SUCCESS;
    default: {
      // A number. The label text is the token as written, minus the whitespace On-Demand
      // includes up to the next structural character.
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                              raw.back() == '\r')) {
        raw.remove_suffix(1);
      }
      if (node.uses & core::kUseNumber) {
        double d;
        if (error_code e = value.get_double().get(d)) return e;
        f.number = d;
        f.has_number = true;
      } else if (!looks_numeric(raw)) {
        return simdjson::NUMBER_ERROR;
      }
      f.kind = core::FieldValue::Kind::kNumber;
      f.text = raw;
      return simdjson::SUCCESS;
    }
  }
}

error_code JsonParser::walk_object(od::object obj, const Node& node, core::Record& out,
                                   bool& complete) noexcept {
  // Stop as soon as every planned key of this object was seen: the rest of the object is never
  // looked at (the main saving of On-Demand on wide records). Keys are tracked in a bit mask,
  // so a repeated key is ignored: the first occurrence wins, whether or not we stop early.
  const size_t n = node.children.size();
  const uint64_t all = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  uint64_t seen = 0;
  for (auto field_result : obj) {
    od::field field;
    if (error_code e = std::move(field_result).get(field)) return e;
    const od::raw_json_string key = field.key();
    size_t index = n;
    if (n <= 64) {
      // Only children whose first byte matches are compared.
      uint64_t candidates = node.by_first_byte[static_cast<uint8_t>(*key.raw())];
      while (candidates != 0) {
        const auto c = static_cast<size_t>(__builtin_ctzll(candidates));
        if (key_matches(key, node.children[c])) {
          index = c;
          break;
        }
        candidates &= candidates - 1;
      }
    } else {
      for (size_t c = 0; c < n; ++c) {
        if (key_matches(key, node.children[c])) {
          index = c;
          break;
        }
      }
    }
    // Unplanned keys: their values are skipped by the next iteration step, never decoded.
    if (index == n) continue;
    const uint64_t bit = index < 64 ? uint64_t{1} << index : 0;
    if (seen & bit) continue;
    seen |= bit;
    const Node& child = nodes_[node.children[index].node];
    od::value value = field.value();
    if (!child.children.empty()) {
      od::json_type type;
      if (error_code e = value.type().get(type)) return e;
      if (type == od::json_type::object) {
        od::object inner;
        if (error_code e = value.get_object().get(inner)) return e;
        // An inner object left before its end is fine: the parent's iterator skips past it.
        bool inner_complete = true;
        if (error_code e = walk_object(inner, child, out, inner_complete)) return e;
        if (seen == all) break;
        continue;
      }
    }
    if (child.slot >= 0) {
      if (error_code e = extract(value, child, out)) return e;
    }
    if (seen == all) break;
  }
  if (seen != all) return simdjson::SUCCESS;  // Walked to the end of the object.
  complete = false;                           // Stopped early: the rest is unread.
  return simdjson::SUCCESS;
}

namespace {

const config::OptionTable& json_options() {
  static const config::OptionTable table = {
      "parser: json",
      "One JSON object per line, read with simdjson On-Demand: only the fields the pipeline "
      "uses are decoded.",
      {
          {"type", "string", "", "`json`.", true},
      }};
  return table;
}

}  // namespace

std::shared_ptr<const ParserSpec> json_parser_spec() {
  static const auto spec = std::make_shared<const PlainParserSpec<JsonParser>>("json");
  return spec;
}

config::ParserEntry json_parser_entry() {
  return {"json", {&json_options()}, [](config::Reader&, const YAML::Node&, const std::string&) {
            return json_parser_spec();
          }};
}

}  // namespace logtally::parsers
