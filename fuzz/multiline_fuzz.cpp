// Fuzzes the multi-line joiner (ingest/multiline.h). The first byte picks the mode, max_lines
// (1..8) and max_bytes (16..256); the second one of a few patterns; the rest is fed as lines,
// with the clock moving so that some records end by their timeout, then the input ends.
//
// Properties, against a plain model of the record in progress (its whole lines): a record is
// handed out exactly once; a record within both limits is its lines joined with '\n' and not
// cut; one over a limit is a prefix of that join, cut, within max_lines lines and max_bytes
// bytes; nothing is lost or reordered.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "fuzz/fuzz_input.h"
#include "ingest/multiline.h"

namespace {

namespace ingest = logtally::ingest;
using Clock = ingest::MultilineJoiner::Clock;

constexpr const char* kPatterns[] = {"^S", R"(^\s)", R"(^\d{4}-\d\d-\d\d)",
                                     R"(^(\s+at |Caused by:))"};

void check(const ingest::MultilineJoiner::Record& r, const std::vector<std::string_view>& model,
           size_t max_lines, size_t max_bytes) {
  LOGTALLY_FUZZ_CHECK(!model.empty());
  std::string whole;
  for (size_t i = 0; i < model.size(); ++i) {
    if (i > 0) whole.push_back('\n');
    whole.append(model[i]);
  }
  const bool fits = model.size() <= max_lines && whole.size() <= max_bytes;
  if (fits) {
    LOGTALLY_FUZZ_CHECK(r.cut == ingest::CutReason::kNone);
    LOGTALLY_FUZZ_CHECK(r.text == whole);
    return;
  }
  LOGTALLY_FUZZ_CHECK(r.cut != ingest::CutReason::kNone);
  LOGTALLY_FUZZ_CHECK(r.text.size() <= max_bytes);
  LOGTALLY_FUZZ_CHECK(std::string_view(whole).substr(0, r.text.size()) == r.text);
  size_t lines = 1;
  for (const char c : r.text) lines += c == '\n' ? 1 : 0;
  LOGTALLY_FUZZ_CHECK(lines <= max_lines);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static std::vector<std::shared_ptr<const re2::RE2>> regexes = [] {
    std::vector<std::shared_ptr<const re2::RE2>> out;
    for (const char* p : kPatterns) out.push_back(std::make_shared<const re2::RE2>(p));
    return out;
  }();
  ingest::MultilineConfig config;
  config.mode = (data[0] & 1) != 0 ? ingest::MultilineConfig::Mode::kContinue
                                   : ingest::MultilineConfig::Mode::kStart;
  config.max_lines = 1 + ((data[0] >> 1) & 7);
  const size_t max_bytes = 16 + static_cast<size_t>(data[0] >> 4) * 16;
  const size_t which = data[1] % (sizeof kPatterns / sizeof kPatterns[0]);
  config.pattern = kPatterns[which];
  config.regex = regexes[which];
  config.timeout = std::chrono::milliseconds(1000);
  ingest::MultilineJoiner joiner(config, max_bytes, (data[1] & 0x80) != 0);
  ingest::MultilineJoiner::Pending p;
  std::vector<std::string_view> model;  // The lines of the record in progress.
  Clock::time_point now{};
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  uint64_t offset = 0;
  for (const std::string_view line : logtally::fuzz::split_lines(rest)) {
    // A line starting with '~' comes after a pause longer than the timeout.
    if (!line.empty() && line[0] == '~') {
      now += std::chrono::milliseconds(1500);
      LOGTALLY_FUZZ_CHECK(joiner.expired(p, now) == p.active);
      if (p.active) {
        check(joiner.take(p), model, config.max_lines, max_bytes);
        model.clear();
      }
    }
    if (joiner.ends_record(p, line)) {
      check(joiner.take(p), model, config.max_lines, max_bytes);
      model.clear();
    }
    LOGTALLY_FUZZ_CHECK(p.active == !model.empty());
    const uint64_t start = model.empty() ? offset : p.start;
    joiner.add(p, line, offset, {}, now);
    LOGTALLY_FUZZ_CHECK(p.active && p.start == start);
    model.push_back(line);
    offset += line.size() + 1;
    now += std::chrono::milliseconds(10);
  }
  if (p.active) check(joiner.take(p), model, config.max_lines, max_bytes);
  LOGTALLY_FUZZ_CHECK(!p.active);
  return 0;
}
