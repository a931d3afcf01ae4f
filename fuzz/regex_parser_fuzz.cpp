// Fuzzes the regex parser with realistic patterns: one parser with a single pattern (matched
// directly) and one with four (the RE2::Set path for records the first does not match). The
// first two patterns need no backtracking, so the parser matches them with DeterministicRegex;
// every input is also matched with RE2 alone, and both must give the same groups.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "fuzz/fuzz_input.h"
#include "parsers/deterministic_regex.h"
#include "parsers/regex_parser.h"

namespace {

namespace core = logtally::core;
namespace parsers = logtally::parsers;

// Apache/nginx combined, syslog (RFC 3164), `LEVEL: message` and a key=value scrape.
const std::vector<std::string> kPatterns = {
    R"re(^(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<path>\S+) (?P<proto>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?$)re",
    R"re(^(?P<time>\w{3} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) (?P<program>[\w./-]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)$)re",
    R"re(^(?P<level>DEBUG|INFO|WARN(?:ING)?|ERROR|FATAL):\s+(?P<msg>.*)$)re",
    R"re(\bstatus=(?P<status>\d+)\b.*\bduration=(?P<duration>[\d.]+)(?P<unit>ms|s)?)re",
};

struct Target {
  core::FieldPlan plan;
  std::unique_ptr<parsers::Parser> one;
  std::unique_ptr<parsers::Parser> all;
  std::vector<std::unique_ptr<re2::RE2>> reference;  // RE2 alone, per pattern.
  std::vector<std::unique_ptr<parsers::DeterministicRegex>> direct;

  Target() {
    for (const char* f : {"client", "method", "path", "status", "bytes", "agent", "host", "program",
                          "pid", "msg", "level", "duration", "unit"}) {
      plan.add(*core::parse_field_path(f), core::kUseText);
    }
    for (const parsers::PatternInfo& p : parsers::inspect_patterns(kPatterns)) {
      LOGTALLY_FUZZ_CHECK(p.error.empty());
    }
    one = std::make_unique<parsers::RegexParser>(std::vector<std::string>{kPatterns.front()}, plan);
    re2::RE2::Options o;
    o.set_log_errors(false);
    for (const std::string& p : kPatterns) {
      reference.push_back(std::make_unique<re2::RE2>(p, o));
      direct.push_back(parsers::DeterministicRegex::compile(p, *reference.back()));
    }
    LOGTALLY_FUZZ_CHECK(direct[0] != nullptr && direct[1] != nullptr);
    all = std::make_unique<parsers::RegexParser>(kPatterns, plan);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target target;
  const logtally::fuzz::PaddedRecord record(
      std::string_view(reinterpret_cast<const char*>(data), size));
  core::Record one_out(target.plan.slot_count());
  core::Record all_out(target.plan.slot_count());
  const parsers::ParseStatus one = target.one->parse(record.view(), one_out);
  const parsers::ParseStatus all = target.all->parse(record.view(), all_out);
  logtally::fuzz::touch(one_out);
  logtally::fuzz::touch(all_out);
  // The first pattern is tried first by both: a record it matches is matched by both alike.
  if (one == parsers::ParseStatus::kOk) {
    LOGTALLY_FUZZ_CHECK(all == parsers::ParseStatus::kOk);
    for (uint32_t i = 0; i < one_out.size(); ++i) {
      LOGTALLY_FUZZ_CHECK(one_out.slot(i).kind == all_out.slot(i).kind);
      LOGTALLY_FUZZ_CHECK(one_out.slot(i).text == all_out.slot(i).text);
    }
  }
  // DeterministicRegex and RE2 agree on every pattern it accepts: match or not, and each
  // group's position and length (or absence).
  for (size_t i = 0; i < target.direct.size(); ++i) {
    if (!target.direct[i]) continue;
    const re2::RE2& re = *target.reference[i];
    re2::StringPiece want[16];
    re2::StringPiece got[16];
    const int n = 1 + re.NumberOfCapturingGroups();
    LOGTALLY_FUZZ_CHECK(n <= 16);
    const std::string_view text = record.view();
    const bool w = re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                            re2::RE2::UNANCHORED, want, n);
    LOGTALLY_FUZZ_CHECK(target.direct[i]->match(text, got, n) == w);
    for (int g = 0; w && g < n; ++g) {
      LOGTALLY_FUZZ_CHECK(got[g].data() == want[g].data() && got[g].size() == want[g].size());
    }
  }
  return 0;
}
