#include "parsers/json_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstring>

#include "core/batch.h"
#include "core/utf8.h"

namespace logtally::parsers {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(core::kPadding >= simdjson::SIMDJSON_PADDING,
              "batch padding must cover simdjson's read-ahead");

JsonParser::JsonParser(const core::FieldPlan& plan, JsonValidate validate)
    : plan_(plan), validate_(validate) {
  // Mirror the plan's trie with pre-encoded keys (see Child), so the hot loop builds no strings.
  const auto& pn = plan_.nodes();
  nodes_.resize(pn.size());
  size_t seen_words = 0;
  for (size_t i = 0; i < pn.size(); ++i) {
    Node& node = nodes_[i];
    node.slot = pn[i].slot;
    node.uses = pn[i].uses;
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
      node.children.push_back(child);
    }
    // Candidates by first byte, in child order. An empty key starts with its closing quote; a
    // key written with escapes in the record may start with a backslash, so such planned keys
    // are candidates for that byte too.
    for (size_t b = 0; b < 256; ++b) {
      node.first[b] = static_cast<uint32_t>(node.candidates.size());
      for (uint32_t c = 0; c < node.children.size(); ++c) {
        const std::string_view key = node.children[c].key;
        const auto first = static_cast<uint8_t>(key.empty() ? '"' : key[0]);
        const bool plain = key.find_first_of("\"\\") == std::string_view::npos;
        if (first == b || (b == '\\' && !plain)) node.candidates.push_back(c);
      }
    }
    node.first[256] = static_cast<uint32_t>(node.candidates.size());
    node.seen_offset = static_cast<uint32_t>(seen_words);
    seen_words += (node.children.size() + 63) / 64;
  }
  seen_.assign(seen_words, 0);
  // validate_value() enters containers down to depth kMaxDepth; On-Demand's development checks
  // (Debug builds) assert that every depth it enters is below the parser's max_depth, so give
  // it one level more. (Release builds do not use max_depth in On-Demand.) The capacity grows
  // as records need it; if this allocation fails, iterate() tries again and reports it.
  if (parser_.allocate(4096, kMaxDepth + 1) != simdjson::SUCCESS) return;
}

ParseStatus JsonParser::parse(std::string_view record, core::Record& out) noexcept {
  out.clear();
  return parse_padded(record.data(), record.size(), record.size() + core::kPadding, out);
}

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// True if every backslash in [p, end) starts a valid JSON escape: \" \\ \/ \b \f \n \r \t or
// \u and four hex digits (a lone surrogate is grammatical JSON). One scan of the whole record
// checks the escapes of every string, keys and unread values included, without locating the
// strings: in valid JSON every backslash is inside a string, and escapes are read left to
// right, so a scan from the record's start pairs them exactly as a parser would (`\\"` is an
// escaped backslash, then the closing quote). A backslash outside a string is invalid JSON
// anyway, whatever this says about it.
bool valid_escapes(const char* p, const char* end) noexcept {
  while ((p = static_cast<const char*>(std::memchr(p, '\\', static_cast<size_t>(end - p))))) {
    if (end - p < 2) return false;
    switch (p[1]) {
      case '"':
      case '\\':
      case '/':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
        p += 2;
        break;
      case 'u':
        if (end - p < 6 || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]) || !is_hex(p[5])) {
          return false;
        }
        p += 6;
        break;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

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
  const bool full = validate_ == JsonValidate::kFull;
  if (full && !valid_escapes(data, data + size)) return ParseStatus::kInvalidJson;

  od::object obj;
  err = doc.get_object().get(obj);
  if (err == simdjson::INCORRECT_TYPE) return classify_non_object(data, size, capacity);
  if (err) return ParseStatus::kInvalidJson;
  bool read_to_end = true;
  if (walk_object(obj, nodes_[0], out, 1, read_to_end)) {
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
    // kTouched stopped before the end, so check cheaply that the record at least ends the way
    // an object does; this catches truncated lines, the common real-world breakage.
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

// `t` without the blanks On-Demand includes in a token up to the next structural character.
std::string_view trim_token(std::string_view t) noexcept {
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r')) {
    t.remove_suffix(1);
  }
  return t;
}

// True if `t` is a number by RFC 8259's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// (so not `01`, `1.`, `.5`, `-`, `+1`, `1e`). Used for numbers that are not converted (labels,
// unread values); simdjson converts the others and checks the same grammar.
bool valid_number(std::string_view t) noexcept {
  size_t i = 0;
  const size_t n = t.size();
  auto digits = [&] {
    const size_t from = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
    return i > from;
  };
  if (i < n && t[i] == '-') ++i;
  if (i < n && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

}  // namespace

// Inlined into walk_object: it runs for every planned field, and passing the value iterator
// through a call costs more than the work in the common cases.
[[gnu::always_inline]] inline error_code JsonParser::extract(od::value value, const Node& node,
                                                             core::Record& out,
                                                             uint32_t depth) noexcept {
  // The first byte of the token says its type; this peek is cheaper than value.type().
  std::string_view raw = value.raw_json_token();
  core::FieldValue& f = out.slot(static_cast<uint32_t>(node.slot));
  f.has_number = false;
  switch (raw.empty() ? '\0' : raw[0]) {
    case '"': {
      // Fast path: a string without escapes is its raw bytes between the quotes, a view into
      // the batch with no copy (stage 1 already rejected control characters and bad UTF-8).
      // The value is still consumed (cheaply, as a raw string): left to the object iterator's
      // skip, a string followed by `:` would be taken for a key (see validate_value()).
      std::string_view body = raw;
      while (body.size() > 1 && body.back() != '"') body.remove_suffix(1);  // trailing blanks
      if (body.size() >= 2) {
        body = body.substr(1, body.size() - 2);
        if (body.find('\\') == std::string_view::npos) {
          od::raw_json_string unused;
          if (error_code e = value.get_raw_json_string().get(unused)) return e;
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
      // Not a scalar: treated as absent. kTouched: the iterator skips the value.
      f.kind = core::FieldValue::Kind::kAbsent;
      return validate_ == JsonValidate::kFull ? validate_value(value, depth + 1)
                                              : simdjson::SUCCESS;
    default: {
      // A number. The label text is the token as written.
      raw = trim_token(raw);
      if (!valid_number(raw)) return simdjson::NUMBER_ERROR;
      if (node.uses & core::kUseNumber) {
        double d;
        if (error_code e = value.get_double().get(d)) return e;
        f.number = d;
        f.has_number = true;
      }
      f.kind = core::FieldValue::Kind::kNumber;
      f.text = raw;
      return simdjson::SUCCESS;
    }
  }
}

error_code JsonParser::walk_object(od::object obj, const Node& node, core::Record& out,
                                   uint32_t depth, bool& complete) noexcept {
  // Keys are tracked in a bit set: a repeated key is ignored (the first occurrence wins).
  // kTouched stops as soon as every planned key of this object was seen: the rest of the object
  // is never looked at (the main saving of On-Demand on wide records). kFull reads on to the
  // end, validating every value it does not use.
  const bool full = validate_ == JsonValidate::kFull;
  const size_t n = node.children.size();
  uint64_t* seen = seen_.data() + node.seen_offset;
  std::fill(seen, seen + (n + 63) / 64, uint64_t{0});
  size_t found = 0;
  for (auto field_result : obj) {
    od::field field;
    if (error_code e = std::move(field_result).get(field)) return e;
    const od::raw_json_string key = field.key();
    // Only children whose key may start with the key's first byte are compared.
    size_t index = n;
    const auto b = static_cast<uint8_t>(*key.raw());
    for (uint32_t i = node.first[b], end = node.first[b + 1]; i < end; ++i) {
      const uint32_t c = node.candidates[i];
      if (key_matches(key, node.children[c])) {
        index = c;
        break;
      }
    }
    if (index < n) {
      uint64_t& word = seen[index / 64];
      const uint64_t bit = uint64_t{1} << (index % 64);
      if (word & bit) {
        index = n;  // A repeated key: treated as unplanned.
      } else {
        word |= bit;
        ++found;
      }
    }
    od::value value = field.value();
    if (index == n) {
      // Unplanned: kTouched skips the value with the next iteration step, never decoded.
      if (full) {
        if (error_code e = validate_value(value, depth + 1)) return e;
      }
      continue;
    }
    const Node& child = nodes_[node.children[index].node];
    bool done = false;
    if (!child.children.empty()) {
      od::json_type type;
      if (error_code e = value.type().get(type)) return e;
      if (type == od::json_type::object) {
        od::object inner;
        if (error_code e = value.get_object().get(inner)) return e;
        // An inner object left before its end is fine: the parent's iterator skips past it.
        bool inner_complete = true;
        if (error_code e = walk_object(inner, child, out, depth + 1, inner_complete)) return e;
        done = true;
      }
    }
    if (!done) {
      if (child.slot >= 0) {
        if (error_code e = extract(value, child, out, depth)) return e;
      } else if (full) {
        if (error_code e = validate_value(value, depth + 1)) return e;
      }
    }
    if (!full && found == n) {
      complete = false;  // Stopped early: the rest is unread.
      return simdjson::SUCCESS;
    }
  }
  return simdjson::SUCCESS;  // Walked to the end of the object.
}

// Recursion is bounded by kMaxDepth (On-Demand itself does not limit depth).
error_code JsonParser::validate_value(od::value value, uint32_t depth) noexcept {
  const std::string_view raw = value.raw_json_token();
  switch (raw.empty() ? '\0' : raw[0]) {
    case '"': {
      // Stage 1 checked its bytes (UTF-8, no raw control character, terminated) and
      // valid_escapes() its escapes; it is never decoded. It is consumed all the same: the
      // iterator would otherwise skip it, and simdjson's skip takes a string followed by `:`
      // for a key and skips what follows by brackets alone, so `{"a":{"b":"c":[,"d"}}` would
      // pass as valid.
      od::raw_json_string unused;
      return value.get_raw_json_string().get(unused);
    }
    case '{': {
      if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
      od::object obj;
      if (error_code e = value.get_object().get(obj)) return e;
      for (auto field_result : obj) {
        od::field field;
        if (error_code e = std::move(field_result).get(field)) return e;
        if (error_code e = validate_value(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case '[': {
      if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
      od::array array;
      if (error_code e = value.get_array().get(array)) return e;
      for (auto element_result : array) {
        od::value element;
        if (error_code e = element_result.get(element)) return e;
        if (error_code e = validate_value(element, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case 't':
      return trim_token(raw) == "true" ? simdjson::SUCCESS : simdjson::T_ATOM_ERROR;
    case 'f':
      return trim_token(raw) == "false" ? simdjson::SUCCESS : simdjson::F_ATOM_ERROR;
    case 'n':
      return trim_token(raw) == "null" ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    default:
      // A number, or a token that cannot start a value (`,`, `}`, `]`, `:`).
      return valid_number(trim_token(raw)) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
  }
}

namespace {

const config::OptionTable& json_options() {
  static const config::OptionTable table = {
      "parser: json",
      "One JSON object per line, read with simdjson On-Demand: only the fields the pipeline "
      "uses are decoded. See docs/json.md.",
      {
          {"type", "string", "", "`json`.", true},
          json_validate_option(),
      }};
  return table;
}

std::shared_ptr<const ParserSpec> load_json(config::Reader& reader, const YAML::Node& n,
                                            const std::string& what) {
  const std::optional<JsonValidate> validate = read_json_validate(reader, n, json_options(), what);
  if (!validate) return nullptr;
  return json_parser_spec(*validate);
}

}  // namespace

config::Option json_validate_option() {
  return {"validate", "string", "full",
          "`full`: a JSON record counts only if the whole of it is valid JSON (RFC 8259), "
          "fields the pipeline does not use included; anything else is dropped as "
          "`invalid_json`. `touched`: only what is read is validated, and reading stops after "
          "the last field the pipeline uses, for speed; a defect in the unread rest goes "
          "unnoticed. See docs/json.md."};
}

std::optional<JsonValidate> read_json_validate(config::Reader& reader, const YAML::Node& n,
                                               const config::OptionTable& table,
                                               const std::string& what) {
  // `parser: json` (a scalar) has no keys: the row's default applies.
  const YAML::Node map = n.IsMap() ? n : YAML::Node(YAML::NodeType::Map);
  const YAML::Node at = map["validate"];  // const: looking a key up does not add it
  const std::optional<std::string> s =
      reader.string_option(map, table, "validate", what + " parser validate");
  if (!s) return std::nullopt;
  if (*s == "full") return JsonValidate::kFull;
  if (*s == "touched") return JsonValidate::kTouched;
  reader.error(at, what + " parser validate: expected full or touched, got \"" + *s + "\"");
  return std::nullopt;
}

std::string JsonParserConfig::describe_details() const {
  return validate == JsonValidate::kTouched ? "    validate: touched\n" : "";
}

std::unique_ptr<Parser> JsonParserConfig::make(const core::FieldPlan& plan) const {
  return std::make_unique<JsonParser>(plan, validate);
}

std::shared_ptr<const ParserSpec> json_parser_spec() {
  return json_parser_spec(JsonValidate::kFull);
}

std::shared_ptr<const ParserSpec> json_parser_spec(JsonValidate validate) {
  static const auto full = [] {
    auto spec = std::make_shared<JsonParserConfig>();
    spec->validate = JsonValidate::kFull;
    return std::shared_ptr<const ParserSpec>(std::move(spec));
  }();
  static const auto touched = [] {
    auto spec = std::make_shared<JsonParserConfig>();
    spec->validate = JsonValidate::kTouched;
    return std::shared_ptr<const ParserSpec>(std::move(spec));
  }();
  return validate == JsonValidate::kFull ? full : touched;
}

config::ParserEntry json_parser_entry() { return {"json", {&json_options()}, &load_json}; }

}  // namespace logtally::parsers
