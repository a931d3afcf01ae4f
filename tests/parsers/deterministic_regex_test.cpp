#include "parsers/deterministic_regex.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::parsers {
namespace {

// The bench's pattern (bench/run_parsers_bench.sh): Apache combined, 6 named groups.
constexpr const char* kBench =
    R"re(^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" (?P<status>\d{3}) )re"
    R"re((?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$)re";
// Apache common with an optional combined tail, unnamed and non-capturing groups.
constexpr const char* kOptionalTail =
    R"re(^(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) )re"
    R"re((?P<path>\S+) ([^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-))re"
    R"re((?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?$)re";
// Syslog (RFC 3164) with an optional pid.
constexpr const char* kSyslog =
    R"re(^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<program>[\w./-]+))re"
    R"re((?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$)re";
// Unanchored at the end, counted repeats, alternatives choosing by their first character,
// escapes in and out of classes, an empty group.
constexpr const char* kMisc =
    R"re(^(?P<level>DEBUG|INFO|WARN(?:ING)?|ERROR)\t(?P<code>[a-f\d]{2,4})-(?P<x>\w*)())re"
    R"re( (?:(?P<num>\d+)|(?P<word>[^\d\s;]+)) *;(?P<rest>[!-~\-\]\\]*))re";

std::unique_ptr<DeterministicRegex> compile(const std::string& pattern) {
  re2::RE2::Options o;
  o.set_log_errors(false);
  const re2::RE2 re(pattern, o);
  return DeterministicRegex::compile(pattern, re);
}

TEST(DeterministicRegex, AcceptsPatternsThatNeverBacktrack) {
  for (const char* p : {kBench, kOptionalTail, kSyslog, kMisc, "^", "^$", "^()$", "^a*$",
                        R"(^(?P<a>\d+|-)$)", R"(^[]a]+[^]a]*$)", R"(^[-a]+[b-c]?\.$)", R"(^\S+)",
                        R"(^(?P<v>.*)$)", R"(^x{0}y{3,}z{2,5}$)", R"(^\$\^$)"}) {
    EXPECT_NE(compile(p), nullptr) << p;
  }
}

TEST(DeterministicRegex, LeavesEverythingElseToRe2) {
  for (const char* p : {
           R"((?P<a>\S+) x)",           // not anchored at the start
           R"(^(?P<a>.+) (?P<b>.*)$)",  // '.' also takes the space that ends it
           R"(^\S+?$)",                 // lazy
           R"(^(?i)get$)",              // flags
           R"(^a|b$)",                  // top-level alternation
           R"(^(?:ab)?)",               // optional at an unanchored end: may have to back off
           R"(^(?:a|ab)c$)",            // two alternatives start with the same character
           R"(^(?:|a)b$)",              // an empty alternative
           R"(^(?:ab)+$)",              // a repeated group
           R"(^\d+\d$)",                // the repeat would have to leave one digit
           R"(^a{2,3}a$)",              // same with a counted repeat
           R"(^(?:a*)?b$)",             // an optional body that matches nothing
           R"(^[[:alpha:]]+$)",         // POSIX class
           R"(^\bfoo$)",                // word boundary
           R"(^\pL+$)",                 // Unicode class
           R"(^(a)\1$)",                // not RE2 (does not compile)
           R"(^é+$)",                   // non-ASCII literal
           R"(^a{,3}$)",                // RE2 reads '{' as a literal here
           R"(^x$y)",                   // '$' not last
           R"(^\x41$)",                 // hex escape
       }) {
    EXPECT_EQ(compile(p), nullptr) << p;
  }
}

// Every case compared with what RE2 itself returns for the pattern: the same yes/no, and the
// same groups at the same offsets (absent ones absent).
class SameAsRe2 {
 public:
  explicit SameAsRe2(const std::string& pattern)
      : pattern_(pattern),
        re_(pattern, options()),
        direct_(DeterministicRegex::compile(pattern, re_)) {}
  void check(const std::string& line) const {
    ASSERT_TRUE(re_.ok()) << pattern_;
    ASSERT_NE(direct_, nullptr) << pattern_;
    const int n = 1 + re_.NumberOfCapturingGroups();
    std::vector<re2::StringPiece> want(static_cast<size_t>(n));
    std::vector<re2::StringPiece> got(static_cast<size_t>(n));
    const bool want_match = re_.Match(line, 0, line.size(), re2::RE2::UNANCHORED, want.data(), n);
    ASSERT_EQ(direct_->match(line, got.data(), n), want_match) << pattern_ << "\n  line: " << line;
    if (!want_match) return;
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got[i].data() == nullptr, want[i].data() == nullptr)
          << pattern_ << " group " << i << "\n  line: " << line;
      if (want[i].data() == nullptr) continue;
      EXPECT_EQ(got[i].data() - line.data(), want[i].data() - line.data())
          << pattern_ << " group " << i;
      EXPECT_EQ(got[i].size(), want[i].size())
          << pattern_ << " group " << i << "\n  line: " << line;
    }
  }

 private:
  static re2::RE2::Options options() {
    re2::RE2::Options o;
    o.set_log_errors(false);
    return o;
  }
  std::string pattern_;
  re2::RE2 re_;
  std::unique_ptr<DeterministicRegex> direct_;
};

const std::vector<std::pair<const char*, std::vector<std::string>>>& cases() {
  static const std::vector<std::pair<const char*, std::vector<std::string>>> c = {
      {kBench,
       {R"x(10.3.84.181 - - [14/May/2024:09:00:00 +0000] "POST /api/v1/x HTTP/1.1" 200 368 "-" "Mozilla/5.0 (Macintosh)")x",
        R"x(10.1.84.85 - frank [14/May/2024:09:00:00 +0000] "GET /a HTTP/1.0" 304 - "https://x/" "")x",
        R"x(::1 - - [x] "GET / " 200 0 "" "")x",
        "10.0.0.1 - - [t] \"GET /caf\xC3\xA9 HTTP/1.1\" 200 5 \"-\" \"agent \xE2\x82\xAC "
        "\xF0\x9F\x98\x80\"",
        "10.0.0.1 - - [t] \"GET /x HTTP/1.1\" 200 5 \"-\" \"bad \xFF byte\"",
        "10.0.0.1 - - [t] \"GET /x HTTP/1.1\" 200 5 \"-\" \"cut \xE2\x82\"",
        "10.0.0.1 - - [t] \"GET /x HTTP/1.1\" 200 5 \"-\" \"surrogate \xED\xA0\x80 overlong "
        "\xE0\x80\x80\"",
        std::string("10.0.0.1 - - [t] \"GET /x HTTP/1.1\" 200 5 \"-\" \"nul ") + '\0' + " byte\"",
        R"x(10.0.0.1 - - [t] "GET /x HTTP/1.1" 200 5 "-" "-" trailing)x",
        R"x(10.0.0.1 - - [t] "get /x HTTP/1.1" 200 5 "-" "-")x",
        R"x(10.0.0.1 - - [t] "GET /x HTTP/1.1" 20 5 "-" "-")x",
        R"x(10.0.0.1 - - [t] "GET /x HTTP/1.1" 2000 5 "-" "-")x",
        R"x(10.0.0.1 - - [] "GET /x HTTP/1.1" 200 5 "-" "-")x",
        R"x(10.0.0.1 - - [t] "GET /x HTTP/1.1" 200 -5 "-" "-")x",
        R"x(10.0.0.1 - - [t] "GET /x HTTP/1.1" 200 5 "-" "unclosed)x",
        R"x( - - [t] "GET /x HTTP/1.1" 200 5 "-" "-")x",
        "10.0.0.1\t- - [t] \"GET /x HTTP/1.1\" 200 5 \"-\" \"-\"",
        "",
        "\"",
        "10.0.0.1"}},
      {kOptionalTail,
       {R"x(1.2.3.4 - - [t] "GET / HTTP/1.1" 200 1)x",
        R"x(1.2.3.4 - u [t] "GET / HTTP/1.1" 200 - "r" "a")x",
        R"x(1.2.3.4 - u [t] "GET / HTTP/1.1" 200 - "r")x",
        R"x(1.2.3.4 - u [t] "GET / HTTP/1.1" 200 - )x",
        R"x(1.2.3.4 - u [t] "GET /  HTTP/1.1" 200 -)x"}},
      {kSyslog,
       {"May  4 09:00:00 host sshd[123]: Accepted key", "May 14 09:00:00 host cron: (root) CMD",
        "May 14 09:00:00 host a.b/c-d[]: x", "May 14 09:00:00 host kernel: ",
        "May 14 09:00:00 host kernel:", "May 14 09:00:00 host kernel: tab\there \xC3\xA9 \xFF"}},
      {kMisc,
       {"WARN\tab1-x_y 123 ;!rest]\\", "WARNING\t00- word;",
        "ERROR\tabcd- \xC3\xA9t\xC3\xA9   ;~ x", "WARNING\t00-  word;", "WARNIN\tab- 1;",
        "INFO\ta-x 1;", "INFO\tabcde-x 1;", "DEBUG\tff- 1 two;", "DEBUG\tff- -;",
        "DEBUG\tff- 12abc;", "DEBUG\tff- \xFF;", "DEBUG\tff-\xC3\xA9 1;", "DEBUG\tff- 1;\xC3\xA9"}},
  };
  return c;
}

TEST(DeterministicRegex, SameMatchesAndGroupsAsRe2) {
  for (const auto& [pattern, lines] : cases()) {
    const SameAsRe2 same(pattern);
    for (const std::string& line : lines) same.check(line);
  }
}

// Lines that almost match: every byte of every case line replaced by characters that end
// fields, start multi-byte characters or are invalid UTF-8, removed, or doubled.
TEST(DeterministicRegex, SameAsRe2OnEveryOneByteEdit) {
  const std::string edits =
      std::string(" \"[]-0aA\t\n", 11) + "\xC3\xA9\x80\xFF" + std::string(1, '\0');
  size_t compared = 0;
  for (const auto& [pattern, lines] : cases()) {
    const SameAsRe2 same(pattern);
    for (const std::string& line : lines) {
      for (size_t i = 0; i < line.size(); ++i) {
        for (char e : edits) {
          std::string l = line;
          l[i] = e;
          same.check(l);
        }
        same.check(line.substr(0, i) + line.substr(i + 1));
        same.check(line.substr(0, i + 1) + line.substr(i));
        compared += edits.size() + 2;
      }
    }
  }
  EXPECT_EQ(compared, 28872u);
}

// Characters from U+0080 up, as RE2 decodes them in a class that holds them all: every 1- and
// 2-byte sequence, every 3-byte one led by E0-EF with a third byte at each boundary, every 4-byte
// lead and second byte.
TEST(DeterministicRegex, Utf8DecodingIsRe2s) {
  ASSERT_TRUE(DeterministicRegex::utf8_agrees_with_re2());
  for (const char* cls : {R"([^"])", R"(\S)", ".", R"(\W)", R"(\D)"}) {
    const SameAsRe2 same(std::string("^(?P<c>") + cls + ")$");
    std::vector<std::string> seqs;
    for (int a = 0; a < 256; ++a) {
      seqs.emplace_back(1, static_cast<char>(a));
      for (int b = 0; b < 256; ++b) seqs.push_back({static_cast<char>(a), static_cast<char>(b)});
    }
    for (int a = 0xE0; a <= 0xEF; ++a) {
      for (int b = 0; b < 256; ++b) {
        for (int c : {0x7F, 0x80, 0xBF, 0xC0}) {
          seqs.push_back({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        }
      }
    }
    for (int a = 0xF0; a <= 0xFF; ++a) {
      for (int b = 0; b < 256; ++b) {
        seqs.push_back({static_cast<char>(a), static_cast<char>(b), '\x80', '\x80'});
        seqs.push_back({static_cast<char>(a), '\x90', static_cast<char>(b), '\xBF'});
        seqs.push_back({static_cast<char>(a), '\x90', '\xBF', static_cast<char>(b)});
      }
    }
    ASSERT_EQ(seqs.size(), 256u + 65536u + 16384u + 12288u);
    for (const std::string& s : seqs) same.check(s);
  }
}

// Bracket-class corners: '-' after a class escape, first or last, as a range bound; ']' first.
TEST(DeterministicRegex, ClassCornersAsRe2) {
  const std::vector<std::string> lines = {"-", "5",  "z", "y",  ".", "/",   "]", "^",
                                          "a", "\t", " ", "\\", "`", "a-5", ""};
  for (const char* p : {R"(^[\d-z]+$)", R"(^[a\-z]+$)", R"(^[--/]+$)", R"(^[]-a]+$)", R"(^[a-]+$)",
                        R"(^[\]-a]+$)", R"(^[\s-\t]$)", R"(^[ -\/]+$)", R"(^[^]a-]*$)"}) {
    const SameAsRe2 same(p);
    for (const std::string& l : lines) same.check(l);
  }
}

TEST(DeterministicRegex, GroupsAsRe2Numbers) {
  const auto d = compile(kOptionalTail);
  ASSERT_NE(d, nullptr);
  re2::StringPiece g[11];
  const std::string line = R"x(1.2.3.4 - u [t] "GET / HTTP/1.1" 200 - "" "a")x";
  ASSERT_TRUE(d->match(line, g, 11));
  EXPECT_EQ(g[0], line);
  EXPECT_EQ(g[1], "1.2.3.4");
  EXPECT_EQ(g[2], "u");
  EXPECT_EQ(g[3], "t");
  EXPECT_EQ(g[4], "GET");
  EXPECT_EQ(g[5], "/");
  EXPECT_EQ(g[6], "HTTP/1.1");  // The unnamed group.
  EXPECT_EQ(g[7], "200");
  EXPECT_EQ(g[8], "-");
  EXPECT_EQ(g[9], "");  // Took part, empty.
  EXPECT_NE(g[9].data(), nullptr);
  EXPECT_EQ(g[10], "a");
  ASSERT_TRUE(d->match(R"x(1.2.3.4 - u [t] "GET / HTTP/1.1" 200 7)x", g, 11));
  EXPECT_EQ(g[8], "7");
  EXPECT_EQ(g[9].data(), nullptr);  // The optional tail did not take part.
  EXPECT_EQ(g[10].data(), nullptr);
  // Fewer groups asked for than the pattern has: only those are written.
  re2::StringPiece two[2] = {re2::StringPiece("x"), re2::StringPiece("y")};
  ASSERT_TRUE(d->match(line, two, 2));
  EXPECT_EQ(two[1], "1.2.3.4");
  EXPECT_TRUE(d->match(line, nullptr, 0));
  EXPECT_FALSE(d->match("nope", nullptr, 0));
}

}  // namespace
}  // namespace logtally::parsers
