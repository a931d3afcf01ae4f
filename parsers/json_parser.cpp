#include "parsers/json_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/batch.h"
#include "core/utf8.h"

namespace logtally::parsers {

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
  // The capacity grows as input needs it (index()); if this fails, stage1_ stays null and
  // index() tries again and reports it.
  (void)simdjson::get_active_implementation()->create_dom_parser_implementation(4096, 1, stage1_);
}

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// One compare and one bit test: space (32), tab (9), line feed (10), carriage return (13).
bool is_blank(char c) noexcept {
  constexpr uint64_t kBlanks =
      (uint64_t{1} << ' ') | (uint64_t{1} << '\t') | (uint64_t{1} << '\n') | (uint64_t{1} << '\r');
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((kBlanks >> u) & 1) != 0;
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

// True if `t` is a number by RFC 8259's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// (so not `01`, `1.`, `.5`, `-`, `+1`, `1e`).
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

// The value of a number token that valid_number() accepted: correctly rounded (as simdjson's
// own parsing is), false if it is too large for a double. A value too small for one is 0.
bool number_value(std::string_view t, double& out) noexcept {
  // Fast path for the common log number (`512`, `59.314`): at most 19 digits, no exponent. A
  // mantissa below 2^53 and a power of ten up to 10^22 are both exact doubles, so one
  // multiplication or division, correctly rounded by IEEE 754, gives the correctly rounded
  // value (Clinger's fast path).
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = t.data();
  const char* const end = p + t.size();
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  uint64_t mantissa = 0;
  int digits = 0;
  int fraction = 0;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, ++digits) {
    mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p < end && *p == '.') {
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p, ++digits, ++fraction) {
      mantissa = mantissa * 10 + static_cast<uint64_t>(*p - '0');
    }
  }
  if (p == end && digits <= 19 && mantissa <= (uint64_t{1} << 53) && fraction <= 22) {
    double v = static_cast<double>(mantissa);
    if (fraction > 0) v /= kPow10[fraction];
    out = negative ? -v : v;
    return true;
  }
  const auto res = std::from_chars(t.data(), t.data() + t.size(), out);
  if (res.ec == std::errc()) return true;
  // Out of range (rare): strtod tells overflow (infinite) from underflow (0 or subnormal). The
  // token is followed by a byte that cannot continue a number, so strtod reads exactly it.
  out = std::strtod(t.data(), nullptr);
  return std::isfinite(out);
}

// True if `s` holds a backslash; short strings (most label values) without a call.
[[gnu::always_inline]] inline bool has_backslash(std::string_view s) noexcept {
  if (s.size() > 32) return std::memchr(s.data(), '\\', s.size()) != nullptr;
  for (const char c : s) {
    if (c == '\\') return true;
  }
  return false;
}

// True if `text`, a token that is not a string or a container, is a valid JSON scalar.
[[gnu::always_inline]] inline bool valid_nonstring_scalar(std::string_view text) noexcept {
  switch (text.empty() ? '\0' : text[0]) {
    case 't':
      return text == "true";
    case 'f':
      return text == "false";
    case 'n':
      return text == "null";
    default:
      // A number, or a byte that cannot start a value (`,`, `:`, `}`, `]`, or none).
      return valid_number(text);
  }
}

}  // namespace

inline std::string_view JsonParser::Tokens::text(uint32_t t) const noexcept {
  const uint32_t from = idx[t];
  // Past the record's end (in a batch, the next record's tokens): no text. A record cut after
  // a key's colon ends its walk here, with the value refused as empty.
  if (from >= limit) return {};
  uint32_t to = std::min(idx[t + 1], limit);
  while (to > from && is_blank(base[to - 1])) --to;
  return {base + from, to - from};
}

error_code JsonParser::index(const char* data, size_t size) noexcept {
  if (!stage1_ || stage1_->capacity() < size) {
    // Grow in steps of at least 64 KiB so that slowly growing input reallocates rarely.
    const size_t want = std::max<size_t>(size, size_t{64} << 10);
    if (!stage1_) {
      if (error_code e = simdjson::get_active_implementation()->create_dom_parser_implementation(
              want, 1, stage1_)) {
        return e;
      }
    } else if (error_code e = stage1_->set_capacity(want)) {
      return e;
    }
  }
  return stage1_->stage1(reinterpret_cast<const uint8_t*>(data), size,
                         simdjson::stage1_mode::regular);
}

void JsonParser::begin_batch(const core::Batch& batch) noexcept {
  batch_.active = false;
  const size_t n = batch.record_count();
  if (n < 2) return;
  // One stage 1 over the whole batch is the same as one per record only if nothing but line
  // ends lies between records: then a record whose string is not closed leaves a newline inside
  // a string, which stage 1 reports (a raw control character), and the batch goes back to stage
  // 1 per record. Batches of records copied back to back (envelopes, Kafka) are read per record.
  const char* d = batch.data();
  const core::Span* s = batch.spans.data();
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t end = size_t{s[i].offset} + s[i].length;
    const size_t next = s[i + 1].offset;
    const bool lf = next == end + 1 && d[end] == '\n';
    const bool crlf = next == end + 2 && d[end] == '\r' && d[end + 1] == '\n';
    if (!lf && !crlf) return;
  }
  const size_t begin = s[0].offset;
  const size_t size = size_t{s[n - 1].offset} + s[n - 1].length - begin;
  if (index(d + begin, size) != simdjson::SUCCESS) return;
  batch_.active = true;
  batch_.end = d + begin + size;
  // Records before the batch's first backslash need no escape check (kFull).
  const void* hit = std::memchr(d + begin, '\\', size);
  next_backslash_ = hit != nullptr ? static_cast<const char*>(hit) : batch_.end;
  batch_.base = d + begin;
  batch_.data = d;
  batch_.spans = s;
  batch_.count = n;
  batch_.next_record = 0;
  batch_.next_token = 0;
}

ParseStatus JsonParser::parse(std::string_view record, core::Record& out) noexcept {
  out.clear();
  if (batch_.active) {
    // The records come in order, some skipped (blank lines): find this one among the spans.
    while (batch_.next_record < batch_.count &&
           batch_.data + batch_.spans[batch_.next_record].offset < record.data()) {
      ++batch_.next_record;
    }
    if (batch_.next_record < batch_.count) {
      const core::Span& span = batch_.spans[batch_.next_record];
      if (batch_.data + span.offset == record.data() && span.length == record.size()) {
        ++batch_.next_record;
        const auto begin = static_cast<uint32_t>(record.data() - batch_.base);
        const auto end = static_cast<uint32_t>(begin + record.size());
        const uint32_t* idx = stage1_->structural_indexes.get();
        // Skip what the walk of earlier records did not reach (a record read only up to its
        // last planned key, a broken one, a skipped one). The index ends with entries at the
        // batch's end, which is past `begin`.
        uint32_t t = batch_.next_token;
        const uint32_t count = stage1_->n_structural_indexes;
        while (t + 8 < count && idx[t + 8] < begin) t += 8;
        while (idx[t] < begin) ++t;
        const Tokens tk{batch_.base, idx, end};
        const ParseStatus status = parse_tokens(tk, t, record.data(), record.size(), out);
        batch_.next_token = std::max(t, last_token_);
        return status;
      }
    }
    // Not a record of the batch in order: the rest is read per record (which reuses the index).
    batch_.active = false;
  }
  return parse_alone(record.data(), record.size(), out);
}

ParseStatus JsonParser::parse_alone(const char* data, size_t size, core::Record& out) noexcept {
  next_backslash_ = nullptr;  // Alone, every record has its escapes checked.
  const error_code err = index(data, size);
  if (err == simdjson::UTF8_ERROR && data != repaired_.data()) {
    // Rare path: repair invalid UTF-8 into scratch memory and parse that instead. The repaired
    // text is valid UTF-8, so this recursion happens at most once.
    repaired_.clear();
    core::append_repaired_utf8(std::string_view(data, size), repaired_);
    const size_t n = repaired_.size();
    repaired_.append(core::kPadding, ' ');
    out.clear();
    return parse_alone(repaired_.data(), n, out);
  }
  if (err) return ParseStatus::kInvalidJson;
  const Tokens tk{data, stage1_->structural_indexes.get(), static_cast<uint32_t>(size)};
  return parse_tokens(tk, 0, data, size, out);
}

ParseStatus JsonParser::parse_tokens(const Tokens& tk, uint32_t first, const char* data,
                                     size_t size, core::Record& out) noexcept {
  last_token_ = first;
  if (tk.at(first) == '\0') return ParseStatus::kInvalidJson;  // Blank: no token at all.
  const bool full = validate_ == JsonValidate::kFull;
  if (full && data + size > next_backslash_) {
    if (!valid_escapes(data, data + size)) return ParseStatus::kInvalidJson;
    // Batch mode: find the next backslash of the batch once, not once per record.
    if (batch_.active) {
      const char* const region_end = batch_.end;
      const char* from = data + size;
      const void* hit = std::memchr(from, '\\', static_cast<size_t>(region_end - from));
      next_backslash_ = hit != nullptr ? static_cast<const char*>(hit) : region_end;
    }
  }
  if (tk.at(first) != '{') return classify_non_object(data, size);
  // Unescaped planned strings go to strings_: at most the record's size in all.
  if (strings_capacity_ < size + 2 * core::kPadding) {
    strings_capacity_ = std::max(size + 2 * core::kPadding, size_t{4096});
    strings_.reset(new (std::nothrow) char[strings_capacity_]);
    if (!strings_) {
      strings_capacity_ = 0;
      return ParseStatus::kInvalidJson;
    }
  }
  strings_next_ = strings_.get();
  bool complete = true;
  const uint32_t t = walk_object(tk, first + 1, nodes_[0], out, 1, complete);
  if (t != kFail) last_token_ = t;
  if (t == kFail) {
    out.clear();
    return ParseStatus::kInvalidJson;
  }
  if (complete) {
    // Anything after the object (a second value, a stray bracket) makes the record invalid.
    if (tk.at(t) != '\0') {
      out.clear();
      return ParseStatus::kInvalidJson;
    }
  } else {
    // kTouched stopped before the end, so check cheaply that the record at least ends the way
    // an object does; this catches truncated lines, the common real-world breakage.
    size_t end = size;
    while (end > 0 && is_blank(data[end - 1])) --end;
    if (end == 0 || data[end - 1] != '}') {
      out.clear();
      return ParseStatus::kInvalidJson;
    }
  }
  return ParseStatus::kOk;
}

ParseStatus JsonParser::classify_non_object(const char* data, size_t size) noexcept {
  // To tell a valid scalar/array from broken JSON we run the DOM parser, which validates
  // everything (and bounds nesting depth, so deep input is safe). The record is followed by
  // kPadding readable bytes, which is all the DOM parser needs.
  simdjson::dom::element element;
  const error_code err = validator_.parse(data, size, false).get(element);
  return err ? ParseStatus::kInvalidJson : ParseStatus::kNotObject;
}

inline bool JsonParser::key_matches(const char* raw, const Tokens& tk, uint32_t t,
                                    const Child& c) noexcept {
  if (c.word_count == 0) {
    // The key's raw bytes, between its quotes, compared as they are.
    const std::string_view text = tk.text(t);
    return text.size() == c.key.size() + 2 && std::memcmp(raw, c.key.data(), c.key.size()) == 0;
  }
  // Reading whole words from the key's start is safe: kPadding bytes follow every record, and
  // a key's words reach at most 7 bytes past its closing quote.
  for (size_t w = 0; w < c.word_count; ++w) {
    uint64_t word;
    std::memcpy(&word, raw + 8 * w, 8);
    if ((word & c.masks[w]) != c.words[w]) return false;
  }
  return true;
}

// Inlined into walk_object: it runs for every planned field.
[[gnu::always_inline]] inline uint32_t JsonParser::extract(const Tokens& tk, uint32_t t,
                                                           const Node& node, core::Record& out,
                                                           uint32_t depth) noexcept {
  const std::string_view text = tk.text(t);
  core::FieldValue& f = out.slot(static_cast<uint32_t>(node.slot));
  f.has_number = false;
  switch (text.empty() ? '\0' : text[0]) {
    case '"': {
      // The token is the string and its closing quote (see validate_value()). Without escapes it
      // is used in place, a view into the batch with no copy; stage 1 already rejected control
      // characters and bad UTF-8.
      if (text.size() < 2 || text.back() != '"') return kFail;
      const std::string_view body = text.substr(1, text.size() - 2);
      if (!has_backslash(body)) {
        f.kind = core::FieldValue::Kind::kString;
        f.text = body;
        return t + 1;
      }
      // Unescaped by simdjson (escapes checked, surrogate pairs joined, a lone surrogate
      // refused) into strings_, which has room for the whole record plus padding.
      auto* dst = reinterpret_cast<uint8_t*>(strings_next_);
      const uint8_t* end =
          stage1_->parse_string(reinterpret_cast<const uint8_t*>(body.data()), dst);
      if (end == nullptr) return kFail;
      f.kind = core::FieldValue::Kind::kString;
      f.text = std::string_view(strings_next_, static_cast<size_t>(end - dst));
      strings_next_ += end - dst;
      return t + 1;
    }
    case 't':
    case 'f':
      if (text != "true" && text != "false") return kFail;
      f.kind = core::FieldValue::Kind::kBool;
      f.text = text;
      return t + 1;
    case 'n':
      if (text != "null") return kFail;
      f.kind = core::FieldValue::Kind::kAbsent;
      return t + 1;
    case '{':
    case '[':
      // Not a scalar: treated as absent.
      f.kind = core::FieldValue::Kind::kAbsent;
      return validate_ == JsonValidate::kFull ? validate_value(tk, t, depth + 1)
                                              : skip_value(tk, t);
    default: {
      // A number. The label text is the token as written.
      if (!valid_number(text)) return kFail;
      if (node.uses & core::kUseNumber) {
        if (!number_value(text, f.number)) return kFail;
        f.has_number = true;
      }
      f.kind = core::FieldValue::Kind::kNumber;
      f.text = text;
      return t + 1;
    }
  }
}

uint32_t JsonParser::walk_object(const Tokens& tk, uint32_t t, const Node& node, core::Record& out,
                                 uint32_t depth, bool& complete) noexcept {
  // Keys are tracked in a bit set: a repeated key is ignored (the first occurrence wins).
  // kTouched stops as soon as every planned key of this object was seen: the rest of the object
  // is never looked at (the main saving on wide records). kFull reads on to the end,
  // validating every value it does not use.
  const bool full = validate_ == JsonValidate::kFull;
  const size_t n = node.children.size();
  uint64_t* seen = seen_.data() + node.seen_offset;
  std::fill(seen, seen + (n + 63) / 64, uint64_t{0});
  size_t found = 0;
  if (tk.at(t) == '}') return t + 1;
  for (;;) {
    if (tk.at(t) != '"' || tk.at(t + 1) != ':') return kFail;
    const char* key = tk.base + tk.idx[t] + 1;
    // Only children whose key may start with the key's first byte are compared.
    size_t index = n;
    const auto b = static_cast<uint8_t>(*key);
    for (uint32_t i = node.first[b], end = node.first[b + 1]; i < end; ++i) {
      const uint32_t c = node.candidates[i];
      if (key_matches(key, tk, t, node.children[c])) {
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
    t += 2;  // The value.
    if (index == n) {
      // Unplanned. Most are strings and plain scalars: checked here, without a call.
      const char c = tk.at(t);
      if (c == '"') {
        ++t;
      } else if (c != '{' && c != '[') {
        if (full && !valid_nonstring_scalar(tk.text(t))) return kFail;
        if (c == '\0') return kFail;
        ++t;
      } else {
        t = full ? validate_container(tk, t, depth + 1) : skip_rest(tk, t + 1);
      }
    } else {
      const Node& child = nodes_[node.children[index].node];
      if (!child.children.empty() && tk.at(t) == '{') {
        if (depth + 1 > kMaxDepth) return kFail;
        bool inner_complete = true;
        t = walk_object(tk, t + 1, child, out, depth + 1, inner_complete);
        // An inner object left before its end (kTouched): skip the rest of it.
        if (t != kFail && !inner_complete) t = skip_rest(tk, t);
      } else if (child.slot >= 0) {
        t = extract(tk, t, child, out, depth);
      } else {
        t = full ? validate_value(tk, t, depth + 1) : skip_value(tk, t);
      }
    }
    if (t == kFail) return kFail;
    if (!full && found == n) {
      complete = false;  // Stopped early: the rest is unread.
      return t;
    }
    const char next = tk.at(t);
    if (next == ',') {
      ++t;
      continue;
    }
    if (next == '}') return t + 1;
    return kFail;
  }
}

uint32_t JsonParser::validate_value(const Tokens& tk, uint32_t t, uint32_t depth) noexcept {
  // A string token is valid as it is: stage 1 rejected bad UTF-8, raw control characters and
  // unterminated strings, and made whatever follows a closing quote (other than blanks) a token
  // of its own; valid_escapes() checked its escapes.
  const char c = tk.at(t);
  if (c == '"') return t + 1;
  if (c != '{' && c != '[') return valid_nonstring_scalar(tk.text(t)) ? t + 1 : kFail;
  return validate_container(tk, t, depth);
}

uint32_t JsonParser::validate_container(const Tokens& tk, uint32_t t, uint32_t depth) noexcept {
  char c = tk.at(t);
  // The grammar as a state machine over the tokens, with the kinds of the open containers
  // (inside this value) as a bit stack, 1 for an array.
  uint64_t arrays[kMaxDepth / 64 + 1];
  uint32_t open = 0;
open_container:
  if (depth + open > kMaxDepth) return kFail;
  if (c == '[') {
    arrays[open / 64] |= uint64_t{1} << (open % 64);
  } else {
    arrays[open / 64] &= ~(uint64_t{1} << (open % 64));
  }
  ++open;
  ++t;
  if (c == '[') goto array_first;
  // object_first:
  if (tk.at(t) == '}') {
    ++t;
    goto close_container;
  }
object_field:
  if (tk.at(t) != '"' || tk.at(t + 1) != ':') return kFail;
  t += 2;
  c = tk.at(t);
  if (c == '{' || c == '[') goto open_container;
  if (c != '"' && !valid_nonstring_scalar(tk.text(t))) return kFail;
  ++t;
object_next:
  c = tk.at(t++);
  if (c == ',') goto object_field;
  if (c == '}') goto close_container;
  return kFail;
array_first:
  if (tk.at(t) == ']') {
    ++t;
    goto close_container;
  }
array_value:
  c = tk.at(t);
  if (c == '{' || c == '[') goto open_container;
  if (c != '"' && !valid_nonstring_scalar(tk.text(t))) return kFail;
  ++t;
array_next:
  c = tk.at(t++);
  if (c == ',') goto array_value;
  if (c == ']') goto close_container;
  return kFail;
close_container:
  --open;
  if (open == 0) return t;
  if (arrays[(open - 1) / 64] & (uint64_t{1} << ((open - 1) % 64))) goto array_next;
  goto object_next;
}

uint32_t JsonParser::skip_value(const Tokens& tk, uint32_t t) noexcept {
  const char c = tk.at(t);
  if (c != '{' && c != '[') return c != '\0' ? t + 1 : kFail;
  return skip_rest(tk, t + 1);
}

uint32_t JsonParser::skip_rest(const Tokens& tk, uint32_t t) noexcept {
  // Brackets are counted, not matched: kTouched does not validate what it skips.
  uint32_t open = 1;
  for (char c; (c = tk.at(t)) != '\0'; ++t) {
    if (c == '{' || c == '[') {
      ++open;
    } else if (c == '}' || c == ']') {
      if (--open == 0) return t + 1;
    }
  }
  return kFail;
}

namespace {

const config::OptionTable& json_options() {
  static const config::OptionTable table = {
      "parser: json",
      "One JSON object per line, read with simdjson: only the fields the pipeline uses are "
      "decoded. See docs/json.md.",
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
