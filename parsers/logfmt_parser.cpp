#include "parsers/logfmt_parser.h"

#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logtally::parsers {

namespace {

using core::FieldValue;

// Bytes that may be part of a key: anything but whitespace (<= 0x20), '=' and '"'.
constexpr std::array<bool, 256> kKeyByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x21; c < 256; ++c) t[c] = c != '=' && c != '"';
  return t;
}();

inline bool is_space(char c) noexcept { return static_cast<uint8_t>(c) <= 0x20; }

// The two scans every pair needs, 16 bytes at a time where SSE2 is there (every x86-64 CPU):
// the end of a key (whitespace, '=' or '"') and the end of a bare value (whitespace). Loads may
// read up to 15 bytes past `end`, which the parser contract allows (kPadding readable bytes
// follow every record); whatever is found there is clamped to `end`.
#if defined(__SSE2__)
inline const char* key_end(const char* p, const char* end) noexcept {
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i equals = _mm_set1_epi8('=');
  const __m128i quote = _mm_set1_epi8('"');
  while (p < end) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Unsigned x <= 0x20 exactly when min(x, 0x20) == x.
    const __m128i stop =
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, space), x),
                     _mm_or_si128(_mm_cmpeq_epi8(x, equals), _mm_cmpeq_epi8(x, quote)));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (mask != 0) {
      p += __builtin_ctz(mask);
      return p < end ? p : end;
    }
    p += 16;
  }
  return end;
}
inline const char* value_end(const char* p, const char* end) noexcept {
  const __m128i space = _mm_set1_epi8(0x20);
  while (p < end) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto mask =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, space), x)));
    if (mask != 0) {
      p += __builtin_ctz(mask);
      return p < end ? p : end;
    }
    p += 16;
  }
  return end;
}
#else
inline const char* key_end(const char* p, const char* end) noexcept {
  while (p < end && kKeyByte[static_cast<uint8_t>(*p)]) ++p;
  return p;
}
inline const char* value_end(const char* p, const char* end) noexcept {
  while (p < end && !is_space(*p)) ++p;
  return p;
}
#endif

// Returns the closing quote of a quoted value whose body starts at `body` (or `end` if it is not
// closed), and whether the body holds a backslash. The common case, no backslash, is two
// memchr calls; only bodies with a backslash are walked byte by byte to skip escaped quotes.
const char* closing_quote(const char* body, const char* end, bool& has_escape) noexcept {
  const auto n = static_cast<size_t>(end - body);
  const char* q = static_cast<const char*>(std::memchr(body, '"', n));
  if (q == nullptr) q = end;
  if (std::memchr(body, '\\', static_cast<size_t>(q - body)) == nullptr) {
    has_escape = false;
    return q;
  }
  has_escape = true;
  q = body;
  while (q < end) {
    if (*q == '"') return q;
    q += *q == '\\' ? 2 : 1;
  }
  return end;
}

// True if `t` is a whole decimal number: [+-]digits[.digits][(e|E)[+-]digits], with digits on
// at least one side of the point.
bool is_number(std::string_view t) noexcept {
  size_t i = 0;
  const size_t n = t.size();
  if (i < n && (t[i] == '-' || t[i] == '+')) ++i;
  size_t digits = 0;
  while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  if (i < n && t[i] == '.') {
    ++i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '-' || t[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == n;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the 4 hex digits at `p` (which has at least 4 bytes); -1 if they are not hex.
int32_t hex4(const char* p) noexcept {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

char* put_utf8(char* o, uint32_t cp) noexcept {
  if (cp < 0x80) {
    *o++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *o++ = static_cast<char>(0xC0 | (cp >> 6));
    *o++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = static_cast<char>(0xE0 | (cp >> 12));
    *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *o++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *o++ = static_cast<char>(0xF0 | (cp >> 18));
    *o++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *o++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *o++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return o;
}

}  // namespace

LogfmtParser::LogfmtParser(const core::FieldPlan& plan) {
  // Every planned path becomes the key of its segments joined with dots.
  const auto& nodes = plan.nodes();
  std::vector<std::pair<uint32_t, std::string>> stack = {{0, std::string()}};
  while (!stack.empty()) {
    auto [node, prefix] = std::move(stack.back());
    stack.pop_back();
    for (uint32_t c : nodes[node].children) {
      std::string key = prefix.empty() ? nodes[c].key : prefix + "." + nodes[c].key;
      if (nodes[c].slot >= 0 && !key.empty()) {
        keys_.push_back({key, static_cast<uint32_t>(nodes[c].slot), nodes[c].uses});
      }
      stack.emplace_back(c, std::move(key));
    }
  }
  for (size_t i = 0; i < keys_.size() && i < 64; ++i) {
    const std::string& k = keys_[i].text;
    by_length_[k.size() < kMaxIndexedLength ? k.size() : kMaxIndexedLength] |= uint64_t{1} << i;
    by_first_byte_[static_cast<uint8_t>(k[0])] |= uint64_t{1} << i;
  }
  many_keys_ = keys_.size() > 64;
}

void LogfmtParser::set_bare(const Key& k, std::string_view value, core::Record& out) noexcept {
  FieldValue& f = out.slot(k.slot);
  f.text = value;
  f.has_number = false;
  f.kind = FieldValue::Kind::kString;
  if (value.empty()) return;
  const char c = value[0];
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
    if (!is_number(value)) return;
    f.kind = FieldValue::Kind::kNumber;
    if (k.uses & core::kUseNumber) {
      std::string_view t = value;
      if (t[0] == '+') t.remove_prefix(1);  // from_chars does not take a '+'.
      double d = 0;
      const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
      // Out of range ("1e999"): left as text for the metric rule to refuse.
      if (ec == std::errc() && end == t.data() + t.size()) {
        f.number = d;
        f.has_number = true;
      }
    }
  } else if (value == "true" || value == "false") {
    f.kind = FieldValue::Kind::kBool;
  }
}

std::string_view LogfmtParser::unescape(std::string_view body) noexcept {
  // The unescaped text is never longer than its source, and the sources of one record do not
  // overlap, so scratch the size of the record holds every value of it: sized once per record
  // (before its first unescaped value, so no earlier view is invalidated), grown only for a
  // record longer than any before.
  if (scratch_used_ == 0 && scratch_capacity_ < record_size_) {
    scratch_capacity_ = record_size_ < 4096 ? 4096 : record_size_;
    scratch_ = std::make_unique<char[]>(scratch_capacity_);
  }
  // Cannot happen given the above; kept so that a future change to the scan cannot write past
  // the scratch memory (the raw text, escapes and all, is then the value).
  if (scratch_used_ + body.size() > scratch_capacity_) return body;
  char* const begin = scratch_.get() + scratch_used_;
  char* o = begin;
  const char* p = body.data();
  const char* const end = p + body.size();
  while (p < end) {
    if (*p != '\\' || p + 1 >= end) {
      *o++ = *p++;
      continue;
    }
    const char e = p[1];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        *o++ = e;
        p += 2;
        continue;
      case 'n':
        *o++ = '\n';
        p += 2;
        continue;
      case 'r':
        *o++ = '\r';
        p += 2;
        continue;
      case 't':
        *o++ = '\t';
        p += 2;
        continue;
      case 'b':
        *o++ = '\b';
        p += 2;
        continue;
      case 'f':
        *o++ = '\f';
        p += 2;
        continue;
      case 'u': {
        const int32_t u = end - p >= 6 ? hex4(p + 2) : -1;
        if (u < 0) break;  // Not an escape: kept as written.
        p += 6;
        uint32_t cp = static_cast<uint32_t>(u);
        if (cp >= 0xD800 && cp < 0xDC00) {
          const int32_t low = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(low) - 0xDC00);
            p += 6;
          } else {
            cp = 0xFFFD;  // A lone high surrogate.
          }
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          cp = 0xFFFD;  // A lone low surrogate.
        }
        o = put_utf8(o, cp);
        continue;
      }
      default:
        break;
    }
    // Any other backslash is kept with the byte after it.
    *o++ = *p++;
    *o++ = *p++;
  }
  scratch_used_ += static_cast<size_t>(o - begin);
  return {begin, static_cast<size_t>(o - begin)};
}

ParseStatus LogfmtParser::parse(std::string_view record, core::Record& out) noexcept {
  out.clear();
  scratch_used_ = 0;
  record_size_ = record.size();
  const char* p = record.data();
  const char* const end = p + record.size();

  // Calls `fn(key)` for each planned key equal to [ks, ks + klen) (usually none, at most a few).
  auto for_each_match = [&](const char* ks, size_t klen, auto&& fn) {
    for (uint64_t c = candidates(ks, klen); c != 0; c &= c - 1) {
      const Key& k = keys_[static_cast<size_t>(__builtin_ctzll(c))];
      if (k.text.size() == klen && std::memcmp(k.text.data(), ks, klen) == 0) fn(k);
    }
    if (many_keys_) {
      for (size_t i = 64; i < keys_.size(); ++i) {
        const Key& k = keys_[i];
        if (k.text.size() == klen && std::memcmp(k.text.data(), ks, klen) == 0) fn(k);
      }
    }
  };

  while (true) {
    while (p < end && is_space(*p)) ++p;
    if (p >= end) break;
    const char* const ks = p;
    p = key_end(p, end);
    const auto klen = static_cast<size_t>(p - ks);
    if (p < end && *p == '=') {
      ++p;
      if (p < end && *p == '"') {
        const char* const body = ++p;
        bool has_escape = false;
        const char* const close = closing_quote(body, end, has_escape);
        p = close < end ? close + 1 : end;
        if (klen == 0) continue;
        // Unescaped at most once, even when several planned paths name this key (`a.b` and
        // `"a.b"`): the scratch memory holds one copy of each value, which keeps it within the
        // record's size.
        const std::string_view raw(body, static_cast<size_t>(close - body));
        std::string_view text;
        bool have_text = false;
        for_each_match(ks, klen, [&](const Key& k) {
          if (!have_text) {
            text = has_escape ? unescape(raw) : raw;
            have_text = true;
          }
          FieldValue& f = out.slot(k.slot);
          f.kind = FieldValue::Kind::kString;
          f.has_number = false;
          f.text = text;
        });
      } else {
        const char* const vs = p;
        p = value_end(p, end);
        if (klen == 0) continue;
        for_each_match(ks, klen, [&](const Key& k) {
          set_bare(k, std::string_view(vs, static_cast<size_t>(p - vs)), out);
        });
      }
    } else if (klen == 0) {
      // A quoted string where a key should be (free text): skipped whole.
      bool has_escape = false;
      const char* const close = closing_quote(p + 1, end, has_escape);
      p = close < end ? close + 1 : end;
    } else {
      for_each_match(ks, klen, [&](const Key& k) {
        FieldValue& f = out.slot(k.slot);
        f.kind = FieldValue::Kind::kBool;
        f.has_number = false;
        f.text = "true";
      });
    }
  }
  return ParseStatus::kOk;
}

namespace {

const config::OptionTable& logfmt_options() {
  static const config::OptionTable table = {
      "parser: logfmt",
      "`key=value` pairs, values bare or in double quotes, scanned in one pass; only the keys "
      "the pipeline uses are kept, the last of a repeated key wins. A path matches the key of "
      "its segments joined with dots. See docs/parsers.md.",
      {
          {"type", "string", "", "`logfmt`.", true},
      }};
  return table;
}

}  // namespace

std::shared_ptr<const ParserSpec> logfmt_parser_spec() {
  static const auto spec = std::make_shared<const PlainParserSpec<LogfmtParser>>("logfmt");
  return spec;
}

config::ParserEntry logfmt_parser_entry() {
  return {
      "logfmt", {&logfmt_options()}, [](config::Reader&, const YAML::Node&, const std::string&) {
        return logfmt_parser_spec();
      }};
}

}  // namespace logtally::parsers
