// regex_engines_bench: the regex parser's matching step alone, per engine, over an Apache corpus.
//
// Usage: regex_engines_bench FILE [ROUNDS]   (FILE from `gen_corpus --format apache`; ROUNDS 5)
//
// The pattern is run_parsers_bench.sh's (6 named groups). Before anything is timed, every line's
// groups from DeterministicRegex and from the split one-pass passes are compared with
// RE2::Match's; any difference exits 1. Then each way is timed over all lines (this thread's CPU
// time, median of ROUNDS) and printed as ns per line and as a ratio to RE2::Match with the 6
// groups, the parser's way before DeterministicRegex:
//
// - re2 6 groups: `RE2::Match(..., 7)`; for `^...$` with more than 4 groups RE2 runs BitState.
// - re2 4+2 groups: the groups split over two patterns whose other groups are `(?:`, the second
//   run on the first's match bounds (ANCHOR_BOTH): each fits RE2's one-pass matcher (<= 4).
// - re2 4 groups: the first of those passes alone (what one one-pass scan costs).
// - re2 DFA only: no groups asked for, so RE2 answers from its DFA (match or not).
// - deterministic: DeterministicRegex with the 6 groups (parsers/deterministic_regex.h).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "parsers/deterministic_regex.h"

namespace {

constexpr const char* kPattern =
    R"re(^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" (?P<status>\d{3}) )re"
    R"re((?P<bytes>\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$)re";
constexpr const char* kFirstFour =
    R"re(^(?P<client>\S+) \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) \S+ [^"]*" (?P<status>\d{3}) )re"
    R"re((?P<bytes>\d+|-) "(?:[^"]*)" "(?:[^"]*)"$)re";
constexpr const char* kLastTwo =
    R"re(^(?:\S+) \S+ \S+ \[[^\]]+\] "(?:[A-Z]+) \S+ [^"]*" (?:\d{3}) )re"
    R"re((?:\d+|-) "(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$)re";

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

using Groups = re2::StringPiece[7];

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: regex_engines_bench FILE [ROUNDS]\n");
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();
  std::vector<std::string_view> lines;
  for (size_t p = 0; p < data.size();) {
    size_t e = data.find('\n', p);
    if (e == std::string::npos) e = data.size();
    lines.emplace_back(data.data() + p, e - p);
    p = e + 1;
  }
  if (lines.empty()) {
    std::fprintf(stderr, "regex_engines_bench: %s has no lines\n", argv[1]);
    return 1;
  }

  re2::RE2::Options o;
  o.set_log_errors(false);
  const re2::RE2 re(kPattern, o), first_four(kFirstFour, o), last_two(kLastTwo, o);
  const auto direct = logtally::parsers::DeterministicRegex::compile(kPattern, re);
  if (!re.ok() || !first_four.ok() || !last_two.ok() || !direct) {
    std::fprintf(stderr, "regex_engines_bench: a pattern did not compile\n");
    return 1;
  }
  auto re2_all = [&](std::string_view l, Groups g) {
    return re.Match(l, 0, l.size(), re2::RE2::UNANCHORED, g, 7);
  };
  auto re2_split = [&](std::string_view l, Groups g) {
    re2::StringPiece a[5], b[3];
    if (!first_four.Match(l, 0, l.size(), re2::RE2::UNANCHORED, a, 5)) return false;
    const auto start = static_cast<size_t>(a[0].data() - l.data());
    if (!last_two.Match(l, start, start + a[0].size(), re2::RE2::ANCHOR_BOTH, b, 3)) return false;
    std::copy(a, a + 5, g);
    g[5] = b[1];
    g[6] = b[2];
    return true;
  };
  auto deterministic = [&](std::string_view l, Groups g) { return direct->match(l, g, 7); };

  // The check before any timing.
  size_t matched = 0;
  for (std::string_view l : lines) {
    Groups want, split, got;
    const bool w = re2_all(l, want);
    if (re2_split(l, split) != w || deterministic(l, got) != w) {
      std::fprintf(stderr, "regex_engines_bench: MISMATCH (match) on: %.*s\n",
                   static_cast<int>(l.size()), l.data());
      return 1;
    }
    if (!w) continue;
    ++matched;
    for (int i = 0; i < 7; ++i) {
      if (got[i].data() != want[i].data() || got[i].size() != want[i].size() ||
          split[i].data() != want[i].data() || split[i].size() != want[i].size()) {
        std::fprintf(stderr, "regex_engines_bench: MISMATCH (group %d) on: %.*s\n", i,
                     static_cast<int>(l.size()), l.data());
        return 1;
      }
    }
  }
  std::printf("check: %zu lines, %zu match; the same 6 groups from every way that captures them\n",
              lines.size(), matched);

  struct Way {
    const char* name;
    std::function<size_t(std::string_view)> run;
  };
  const std::vector<Way> ways = {
      {"re2 6 groups",
       [&](std::string_view l) {
         Groups g;
         return re2_all(l, g) ? g[6].size() : 0;
       }},
      {"re2 4+2 groups",
       [&](std::string_view l) {
         Groups g;
         return re2_split(l, g) ? g[6].size() : 0;
       }},
      {"re2 4 groups",
       [&](std::string_view l) {
         re2::StringPiece g[5];
         return first_four.Match(l, 0, l.size(), re2::RE2::UNANCHORED, g, 5) ? g[4].size() : 0;
       }},
      {"re2 DFA only",
       [&](std::string_view l) {
         return static_cast<size_t>(re.Match(l, 0, l.size(), re2::RE2::UNANCHORED, nullptr, 0));
       }},
      {"deterministic",
       [&](std::string_view l) {
         Groups g;
         return deterministic(l, g) ? g[6].size() : 0;
       }},
  };
  std::vector<double> median(ways.size());
  for (size_t w = 0; w < ways.size(); ++w) {
    std::vector<double> times;
    size_t sink = 0;
    for (int r = 0; r < rounds; ++r) {
      const double t0 = cpu_seconds();
      for (std::string_view l : lines) sink += ways[w].run(l);
      times.push_back(cpu_seconds() - t0);
    }
    std::sort(times.begin(), times.end());
    median[w] = times[times.size() / 2];
    if (sink == 1) std::printf(" ");  // Keeps the work observable.
  }
  std::printf("%-16s %10s %12s\n", "way", "ns/line", "vs re2 6");
  for (size_t w = 0; w < ways.size(); ++w) {
    std::printf("%-16s %10.1f %11.2fx\n", ways[w].name,
                median[w] * 1e9 / static_cast<double>(lines.size()), median[0] / median[w]);
  }
  return 0;
}
