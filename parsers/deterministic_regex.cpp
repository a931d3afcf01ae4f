#include "parsers/deterministic_regex.h"

#include <cstring>
#include <map>
#include <string>

namespace logtally::parsers {

namespace {

constexpr uint32_t kUnbounded = UINT32_MAX;
constexpr int kMaxDepth = 32;          // Group nesting; deeper patterns are left to RE2.
constexpr uint32_t kMaxRepeat = 1000;  // RE2's own limit on {n,m}.

/// Length of the multi-byte character a lead byte starts, as RE2 20220601 (Debian 12) decodes
/// a class holding every character from U+0080 up: C2-DF take one continuation byte (80-BF),
/// E0-EF two and F0-F4 three. It does not reject the overlong E0 80-9F or F0 80-8F forms, the
/// surrogates ED A0-BF or F4 90-BF (above U+10FFFF), because it compiles the full range to those
/// loose byte ranges. 0: not a lead byte (ASCII, a continuation byte, C0, C1, F5-FF).
constexpr std::array<uint8_t, 256> kUtf8Length = [] {
  std::array<uint8_t, 256> t{};
  for (int b = 0xC2; b <= 0xDF; ++b) t[b] = 2;
  for (int b = 0xE0; b <= 0xEF; ++b) t[b] = 3;
  for (int b = 0xF0; b <= 0xF4; ++b) t[b] = 4;
  return t;
}();

// Length of the character at text[pos] (pos < size) if `table` holds it, else 0.
inline size_t char_length(const std::array<uint8_t, 256>& table, const char* text, size_t size,
                          size_t pos) noexcept {
  const auto c = static_cast<unsigned char>(text[pos]);
  const uint8_t kind = table[c];
  if (kind != 2) return kind;
  const size_t len = kUtf8Length[c];
  if (size - pos < len) return 0;
  for (size_t j = 1; j < len; ++j) {
    if ((static_cast<unsigned char>(text[pos + j]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

// Parses the pattern into nodes and sequences, then checks that every choice is decided by the
// next character. Any construct it does not know makes compile() give up (RE2 handles it).
class DeterministicRegex::Builder {
 public:
  Builder(std::string_view text, DeterministicRegex& out) : s_(text), out_(out) {}

  bool build() {
    if (s_.empty() || s_[0] != '^') return false;
    pos_ = 1;
    size_t end = s_.size();
    if (end >= 2 && s_[end - 1] == '$' && !escaped_at(end - 1)) {
      out_.anchored_end_ = true;
      --end;
    }
    limit_ = end;
    out_.seqs_.emplace_back();
    if (!parse_seq(0, 0)) return false;
    if (pos_ != limit_) return false;  // A top-level '|' or a stray ')'.
    Follow follow;
    follow.any = !out_.anchored_end_;
    return check_seq(0, follow);
  }

  std::map<std::string, int> names;  ///< Named groups as numbered here.
  int groups = 0;

 private:
  /// What may come after a part of the pattern: these characters, or (any) the end of an
  /// unanchored pattern, after which any text is fine.
  struct Follow {
    CharSet chars;
    bool any = false;
  };
  struct Info {
    CharSet first;
    bool nullable = true;
  };

  // A '$' at `i` is escaped when an odd number of backslashes precede it.
  bool escaped_at(size_t i) const {
    size_t n = 0;
    while (i > n && s_[i - n - 1] == '\\') ++n;
    return n % 2 == 1;
  }

  static CharSet digit() {
    CharSet c;
    for (unsigned ch = '0'; ch <= '9'; ++ch) c.add_char(ch);
    return c;
  }
  static CharSet space() {  // RE2's Perl \s: [\t\n\f\r ].
    CharSet c;
    for (const unsigned char ch : {'\t', '\n', '\f', '\r', ' '}) c.add_char(ch);
    return c;
  }
  static CharSet word() {
    CharSet c = digit();
    for (unsigned ch = 'a'; ch <= 'z'; ++ch) c.add_char(ch);
    for (unsigned ch = 'A'; ch <= 'Z'; ++ch) c.add_char(ch);
    c.add_char('_');
    return c;
  }
  static CharSet negate(CharSet c) {
    c.ascii[0] = ~c.ascii[0];
    c.ascii[1] = ~c.ascii[1];
    c.non_ascii = !c.non_ascii;
    return c;
  }
  static bool is_punct(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7F && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'z') &&
           !(c >= 'A' && c <= 'Z');
  }

  // After a backslash (pos_ on the escaped character): a class escape or one character.
  bool parse_escape(CharSet& set, bool& single, unsigned& ch) {
    if (pos_ >= limit_) return false;
    const char c = s_[pos_++];
    single = false;
    switch (c) {
      case 'd':
        set = digit();
        return true;
      case 'D':
        set = negate(digit());
        return true;
      case 's':
        set = space();
        return true;
      case 'S':
        set = negate(space());
        return true;
      case 'w':
        set = word();
        return true;
      case 'W':
        set = negate(word());
        return true;
      case 't':
        ch = '\t';
        break;
      case 'n':
        ch = '\n';
        break;
      case 'r':
        ch = '\r';
        break;
      case 'f':
        ch = '\f';
        break;
      case 'v':
        ch = '\v';
        break;
      default:
        if (!is_punct(c)) return false;  // \b, \pN, \1, \x41, \Q...: left to RE2.
        ch = static_cast<unsigned char>(c);
    }
    single = true;
    set = CharSet();
    set.add_char(ch);
    return true;
  }

  // pos_ just after '['.
  bool parse_class(CharSet& set) {
    bool negated = false;
    if (pos_ < limit_ && s_[pos_] == '^') {
      negated = true;
      ++pos_;
    }
    CharSet acc;
    bool first = true;
    while (true) {
      if (pos_ >= limit_) return false;
      char c = s_[pos_];
      if (c == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      unsigned lo = 0;
      bool single = true;
      CharSet item;
      if (static_cast<unsigned char>(c) >= 0x80) return false;
      if (c == '[' && pos_ + 1 < limit_ && s_[pos_ + 1] == ':') return false;  // [:alpha:]
      ++pos_;
      if (c == '\\') {
        if (!parse_escape(item, single, lo)) return false;
      } else {
        lo = static_cast<unsigned char>(c);
      }
      if (!single) {
        acc.add(item);
        continue;
      }
      // A range lo-hi, unless the '-' is last in the class.
      if (pos_ + 1 < limit_ && s_[pos_] == '-' && s_[pos_ + 1] != ']') {
        ++pos_;
        unsigned hi = 0;
        char h = s_[pos_];
        if (static_cast<unsigned char>(h) >= 0x80) return false;
        ++pos_;
        if (h == '\\') {
          CharSet unused;
          bool hi_single = false;
          if (!parse_escape(unused, hi_single, hi) || !hi_single) return false;
        } else {
          hi = static_cast<unsigned char>(h);
        }
        if (hi < lo) return false;
        for (unsigned x = lo; x <= hi; ++x) acc.add_char(x);
      } else {
        acc.add_char(lo);
      }
    }
    set = negated ? negate(acc) : acc;
    return true;
  }

  // A quantifier after an atom, if any: `* + ? {n} {n,} {n,m}`, greedy only.
  bool parse_quantifier(uint32_t& min, uint32_t& max) {
    min = max = 1;
    if (pos_ >= limit_) return true;
    const char c = s_[pos_];
    if (c == '*') {
      min = 0, max = kUnbounded, ++pos_;
    } else if (c == '+') {
      min = 1, max = kUnbounded, ++pos_;
    } else if (c == '?') {
      min = 0, max = 1, ++pos_;
    } else if (c == '{') {
      ++pos_;
      if (!parse_number(min)) return false;
      max = min;
      if (pos_ < limit_ && s_[pos_] == ',') {
        ++pos_;
        max = kUnbounded;
        if (pos_ < limit_ && s_[pos_] != '}' && !parse_number(max)) return false;
      }
      if (pos_ >= limit_ || s_[pos_] != '}' || max < min) return false;
      ++pos_;
    } else {
      return true;
    }
    // Lazy (`*?`) or stacked quantifiers: left to RE2.
    return !(pos_ < limit_ &&
             (s_[pos_] == '?' || s_[pos_] == '*' || s_[pos_] == '+' || s_[pos_] == '{'));
  }
  bool parse_number(uint32_t& n) {
    size_t digits = 0;
    n = 0;
    while (pos_ < limit_ && s_[pos_] >= '0' && s_[pos_] <= '9' && digits < 5) {
      n = n * 10 + static_cast<uint32_t>(s_[pos_] - '0');
      ++pos_, ++digits;
    }
    return digits > 0 && n <= kMaxRepeat;
  }

  uint8_t table_of(const CharSet& set) {
    for (size_t i = 0; i < sets_.size(); ++i) {
      if (sets_[i].ascii == set.ascii && sets_[i].non_ascii == set.non_ascii)
        return static_cast<uint8_t>(i);
    }
    if (sets_.size() >= 255) {
      too_many_tables_ = true;
      return 0;
    }
    sets_.push_back(set);
    ByteTable t{};
    for (unsigned b = 0; b < 128; ++b) t[b] = (set.ascii[b >> 6] >> (b & 63)) & 1;
    if (set.non_ascii) {
      uses_non_ascii_ = true;
      for (unsigned b = 128; b < 256; ++b) t[b] = kUtf8Length[b] ? 2 : 0;
    }
    out_.tables_.push_back(t);
    return static_cast<uint8_t>(sets_.size() - 1);
  }

  // Elements up to '|', ')' or the end, appended to sequence `seq`.
  bool parse_seq(uint32_t seq, int depth) {
    while (pos_ < limit_) {
      const char c = s_[pos_];
      if (c == '|' || c == ')') return true;
      Node node;
      CharSet set;
      if (c == '(') {
        if (depth >= kMaxDepth) return false;
        ++pos_;
        node.kind = Node::Kind::kGroup;
        if (pos_ < limit_ && s_[pos_] == '?') {
          if (s_.compare(pos_, 2, "?:") == 0) {
            pos_ += 2;
          } else if (s_.compare(pos_, 3, "?P<") == 0) {
            const size_t close = s_.find('>', pos_ + 3);
            if (close == std::string_view::npos || close >= limit_) return false;
            node.capture = ++groups;
            names[std::string(s_.substr(pos_ + 3, close - pos_ - 3))] = node.capture;
            pos_ = close + 1;
          } else {
            return false;  // Flags and other group kinds: left to RE2.
          }
        } else {
          node.capture = ++groups;
        }
        while (true) {
          const auto alt = static_cast<uint32_t>(out_.seqs_.size());
          out_.seqs_.emplace_back();
          node.alternatives.push_back(alt);
          if (!parse_seq(alt, depth + 1)) return false;
          if (pos_ >= limit_) return false;
          if (s_[pos_++] == ')') break;  // Otherwise it was '|'.
        }
        if (pos_ < limit_ && s_[pos_] == '?') {
          node.optional = true;
          ++pos_;
        }
        if (pos_ < limit_ &&
            (s_[pos_] == '?' || s_[pos_] == '*' || s_[pos_] == '+' || s_[pos_] == '{')) {
          return false;  // Repeated groups: left to RE2.
        }
      } else {
        if (c == '.') {
          set = negate(CharSet());
          const CharSet newline = [] {
            CharSet n;
            n.add_char('\n');
            return n;
          }();
          set.ascii[0] &= ~newline.ascii[0];
          ++pos_;
        } else if (c == '[') {
          ++pos_;
          if (!parse_class(set)) return false;
        } else if (c == '\\') {
          ++pos_;
          bool single = false;
          unsigned ch = 0;
          if (!parse_escape(set, single, ch)) return false;
        } else if (static_cast<unsigned char>(c) >= 0x80 || c == '^' || c == '$' || c == '*' ||
                   c == '+' || c == '?' || c == '{' || c == '}' || c == ']') {
          return false;
        } else {
          set.add_char(static_cast<unsigned char>(c));
          ++pos_;
        }
        if (!parse_quantifier(node.min, node.max)) return false;
        node.table = table_of(set);
        atom_sets_[static_cast<uint32_t>(out_.nodes_.size())] = set;
      }
      out_.seqs_[seq].push_back(static_cast<uint32_t>(out_.nodes_.size()));
      out_.nodes_.push_back(std::move(node));
    }
    return true;
  }

  Info info_of_seq(uint32_t seq) {
    Info info;
    for (uint32_t n : out_.seqs_[seq]) {
      const Info i = info_of_node(n);
      if (info.nullable) info.first.add(i.first);
      info.nullable = info.nullable && i.nullable;
      if (!info.nullable) break;
    }
    return info;
  }
  Info info_of_node(uint32_t n) {
    const Node& node = out_.nodes_[n];
    Info info;
    if (node.kind == Node::Kind::kAtom) {
      info.first = atom_sets_[n];
      info.nullable = node.min == 0;
      return info;
    }
    info.nullable = node.optional;
    for (uint32_t alt : node.alternatives) {
      const Info a = info_of_seq(alt);
      info.first.add(a.first);
      info.nullable = info.nullable || a.nullable;
    }
    return info;
  }

  // Every choice in `seq` (followed by `follow`) is decided by the next character.
  bool check_seq(uint32_t seq, const Follow& follow) {
    Follow rest = follow;  // What may follow the element being checked.
    const std::vector<uint32_t> elements = out_.seqs_[seq];
    for (size_t k = elements.size(); k-- > 0;) {
      const uint32_t n = elements[k];
      if (!check_node(n, rest)) return false;
      const Info i = info_of_node(n);
      if (i.nullable) {
        rest.chars.add(i.first);
      } else {
        rest.chars = i.first;
        rest.any = false;
      }
    }
    return true;
  }
  bool check_node(uint32_t n, const Follow& follow) {
    Node& node = out_.nodes_[n];
    if (node.kind == Node::Kind::kAtom) {
      // A repeat that may stop or go on: stopping must be the only way on at any character it
      // can take. (At the end of an unanchored pattern, going on as long as possible is what
      // RE2's greedy choice does, and whatever follows there is optional and never fails.)
      return node.min == node.max || !atom_sets_[n].intersects(follow.chars);
    }
    CharSet all;
    for (uint32_t alt : node.alternatives) {
      const Info a = info_of_seq(alt);
      if (node.alternatives.size() > 1 || node.optional) {
        // Alternatives and optional bodies must consume a character to be chosen by it.
        if (a.nullable || a.first.intersects(all)) return false;
      }
      all.add(a.first);
      node.first_tables.push_back(table_of(a.first));
      if (!check_seq(alt, follow)) return false;
    }
    if (node.optional && (follow.any || all.intersects(follow.chars))) return false;
    return !too_many_tables_;
  }

  std::string_view s_;
  DeterministicRegex& out_;
  size_t pos_ = 0;
  size_t limit_ = 0;
  std::vector<CharSet> sets_;              ///< Parallel to out_.tables_.
  std::map<uint32_t, CharSet> atom_sets_;  ///< Node index -> its set (atoms only).
  bool too_many_tables_ = false;

 public:
  bool uses_non_ascii_ = false;
};

std::unique_ptr<DeterministicRegex> DeterministicRegex::compile(std::string_view pattern,
                                                                const re2::RE2& re) {
  if (!re.ok()) return nullptr;
  auto out = std::unique_ptr<DeterministicRegex>(new DeterministicRegex());
  Builder b(pattern, *out);
  if (!b.build()) return nullptr;
  if (b.uses_non_ascii_ && !utf8_agrees_with_re2()) return nullptr;
  // The groups as numbered here must be RE2's.
  if (b.groups != re.NumberOfCapturingGroups()) return nullptr;
  if (b.names.size() != re.NamedCapturingGroups().size()) return nullptr;
  for (const auto& [name, index] : re.NamedCapturingGroups()) {
    auto it = b.names.find(name);
    if (it == b.names.end() || it->second != index) return nullptr;
  }
  out->groups_ = b.groups;
  return out;
}

size_t DeterministicRegex::member(uint8_t table, const char* text, size_t size,
                                  size_t pos) const noexcept {
  return pos < size ? char_length(tables_[table], text, size, pos) : 0;
}

bool DeterministicRegex::run(uint32_t seq, const char* text, size_t size, size_t& pos,
                             re2::StringPiece* groups, int ngroups) const noexcept {
  for (uint32_t n : seqs_[seq]) {
    const Node& node = nodes_[n];
    if (node.kind == Node::Kind::kAtom) {
      // Greedy: the check at compile time proved that stopping early can never lead to a match.
      // ASCII members (kind 1) are the common case and take one table load each.
      const ByteTable& table = tables_[node.table];
      uint32_t count = 0;
      while (count < node.max && pos < size) {
        const uint8_t kind = table[static_cast<unsigned char>(text[pos])];
        if (kind == 1) {
          ++pos;
        } else {
          const size_t len = kind == 0 ? 0 : char_length(table, text, size, pos);
          if (len == 0) break;
          pos += len;
        }
        ++count;
      }
      if (count < node.min) return false;
      continue;
    }
    size_t chosen = 0;
    if (node.alternatives.size() > 1 || node.optional) {
      // The next character picks the alternative (no two start with the same character); none
      // taking it means the optional group is skipped, or no match.
      chosen = node.alternatives.size();
      for (size_t k = 0; k < node.alternatives.size(); ++k) {
        if (member(node.first_tables[k], text, size, pos) != 0) {
          chosen = k;
          break;
        }
      }
      if (chosen == node.alternatives.size()) {
        if (node.optional) continue;
        return false;
      }
    }
    const size_t start = pos;
    if (!run(node.alternatives[chosen], text, size, pos, groups, ngroups)) return false;
    if (node.capture >= 0 && node.capture < ngroups) {
      groups[node.capture] = re2::StringPiece(text + start, pos - start);
    }
  }
  return true;
}

bool DeterministicRegex::match(std::string_view text, re2::StringPiece* groups,
                               int ngroups) const noexcept {
  for (int i = 0; i < ngroups; ++i) groups[i] = re2::StringPiece();
  size_t pos = 0;
  if (!run(0, text.data(), text.size(), pos, groups, ngroups)) return false;
  if (anchored_end_ && pos != text.size()) return false;
  if (ngroups > 0) groups[0] = re2::StringPiece(text.data(), pos);
  return true;
}

bool DeterministicRegex::utf8_agrees_with_re2() {
  static const bool agrees = [] {
    re2::RE2::Options o;
    o.set_log_errors(false);
    const re2::RE2 re("^[^\"]$", o);
    // Boundaries of each length, truncations, stray continuation and invalid lead bytes.
    const char* const cases[] = {"\x80",
                                 "\xBF",
                                 "\xC0\x80",
                                 "\xC1\xBF",
                                 "\xC2\x80",
                                 "\xDF\xBF",
                                 "\xC2\x7F",
                                 "\xC2\xC0",
                                 "\xC2",
                                 "\xE0\x80\x80",
                                 "\xE0\xA0\x80",
                                 "\xED\xA0\x80",
                                 "\xEF\xBF\xBF",
                                 "\xE1\x80",
                                 "\xE1\x80\xC0",
                                 "\xE1\x7F\x80",
                                 "\xF0\x80\x80\x80",
                                 "\xF0\x90\x80\x80",
                                 "\xF4\x8F\xBF\xBF",
                                 "\xF4\x90\x80\x80",
                                 "\xF4\xBF\xBF\xBF",
                                 "\xF5\x80\x80\x80",
                                 "\xF1\x80\x80",
                                 "\xF1\x80\x80\xC0",
                                 "\xF8\x88\x80\x80\x80",
                                 "\xFE",
                                 "\xFF"};
    for (const char* c : cases) {
      const size_t len = std::strlen(c);
      const auto lead = static_cast<unsigned char>(c[0]);
      bool ours = kUtf8Length[lead] == len;
      for (size_t j = 1; ours && j < len; ++j) {
        ours = (static_cast<unsigned char>(c[j]) & 0xC0) == 0x80;
      }
      if (ours != re2::RE2::FullMatch(re2::StringPiece(c, len), re)) return false;
    }
    return true;
  }();
  return agrees;
}

}  // namespace logtally::parsers
