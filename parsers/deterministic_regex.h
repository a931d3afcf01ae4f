// DeterministicRegex: a fast path of the regex parser for patterns that need no backtracking.
//
// Many log patterns read a line field by field: `^(?P<client>\S+) \S+ \[[^\]]+\] "...` Every
// repetition stops at a character it cannot consume and that the next part of the pattern must
// start with, and every choice (`a|b`, `x?`) is decided by the next character. Such a pattern has
// one way at most to match a line, and finding it is one left-to-right scan with a table lookup
// per byte. RE2 does not know this: with 5 or more groups asked for it falls back from its
// one-pass matcher to a backtracking one (BitState), which cost ~1.4 µs of the ~1.8 µs a
// 160-byte Apache line took (docs/performance.md).
//
// Contract:
// - compile() accepts a pattern only in the subset below *and* only if no choice in it is
//   ambiguous (an LL(1) check on characters); anything else returns nullptr, and the parser uses
//   RE2 as before. The groups it numbers are checked against RE2's own numbering and names.
// - match() gives exactly what `re.Match(text, 0, size, RE2::UNANCHORED, groups, n)` gives for
//   that pattern: the same yes/no, the same group boundaries, the same absent groups (data()
//   null). tests/parsers/deterministic_regex_test.cpp and fuzz/regex_parser_fuzz.cpp compare
//   the two.
// - match() is const, never allocates, never throws, and runs in time linear in the line.
//
// The subset: `^` first (required), `$` last (optional); ASCII literals and escaped punctuation;
// `.`, `\d \D \s \S \w \W`, bracket classes of ASCII characters, ranges and those escapes
// (negated or not); greedy `* + ? {n} {n,} {n,m}` after one of those; groups `( )`,
// `(?P<name> )`, `(?: )` with `|` inside and an optional greedy `?` after. No flags, no lazy
// quantifiers, no other escapes, no non-ASCII literals. A character outside ASCII (U+0080 and
// up) is in a class only if the class contains all of them (`\S`, `[^"]`, `.`); what counts as
// one such character is RE2's own UTF-8 decoding, which utf8_agrees_with_re2() checks once.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <re2/re2.h>

namespace logtally::parsers {

class DeterministicRegex {
 public:
  /// The matcher of `pattern`, which `re` is compiled from (with the parser's options); nullptr
  /// when the pattern is outside the subset or ambiguous.
  static std::unique_ptr<DeterministicRegex> compile(std::string_view pattern, const re2::RE2& re);

  /// See the contract above. `ngroups` entries of `groups` are written (0 is the whole match).
  bool match(std::string_view text, re2::StringPiece* groups, int ngroups) const noexcept;

  /// True when RE2's matching of characters from U+0080 up (as `[^"]` sees them) is the one this
  /// class decodes; checked once per process on boundary cases. Patterns whose classes take such
  /// characters are only accepted when it holds.
  static bool utf8_agrees_with_re2();

 private:
  /// A set of characters: the ASCII ones by bit, all the others (any well-formed sequence in
  /// RE2's sense) by one flag.
  struct CharSet {
    std::array<uint64_t, 2> ascii{};
    bool non_ascii = false;
    bool intersects(const CharSet& o) const {
      return (ascii[0] & o.ascii[0]) || (ascii[1] & o.ascii[1]) || (non_ascii && o.non_ascii);
    }
    void add(const CharSet& o) {
      ascii[0] |= o.ascii[0];
      ascii[1] |= o.ascii[1];
      non_ascii = non_ascii || o.non_ascii;
    }
    void add_char(unsigned c) { ascii[c >> 6] |= uint64_t{1} << (c & 63); }
  };
  /// One element of a sequence: a repeated character set, or a group of alternatives.
  struct Node {
    enum class Kind : uint8_t { kAtom, kGroup } kind = Kind::kAtom;
    uint8_t table = 0;                   ///< Atom: index of its byte table.
    uint32_t min = 1;                    ///< Atom: least repeats.
    uint32_t max = 1;                    ///< Atom: most repeats (UINT32_MAX: no limit).
    bool optional = false;               ///< Group: followed by `?`.
    int capture = -1;                    ///< Group: its RE2 group index, or -1 (`(?:`).
    std::vector<uint32_t> alternatives;  ///< Group: one sequence index per alternative.
    std::vector<uint8_t> first_tables;   ///< Group: the first-character table of each alternative.
  };
  /// Byte classes: 0 not in the set, 1 an ASCII member, 2 the lead byte of a multi-byte
  /// character (when the set has non-ASCII characters); its length is in kUtf8Length.
  using ByteTable = std::array<uint8_t, 256>;

  class Builder;

  bool run(uint32_t seq, const char* text, size_t size, size_t& pos, re2::StringPiece* groups,
           int ngroups) const noexcept;
  /// Length of the character at `pos` if it is in `table`, else 0.
  size_t member(uint8_t table, const char* text, size_t size, size_t pos) const noexcept;

  std::vector<Node> nodes_;
  std::vector<std::vector<uint32_t>> seqs_;  ///< Sequences of node indices; 0 is the pattern.
  std::vector<ByteTable> tables_;
  bool anchored_end_ = false;
  int groups_ = 0;  ///< RE2's NumberOfCapturingGroups().
};

}  // namespace logtally::parsers
