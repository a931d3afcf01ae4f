// Event time per record (transforms/event_time.h): nanoseconds to read one record's time, per
// format family, against glibc's strptime() + timegm() on the same text as the same-run
// baseline. Every parsed value is checked against the baseline's before anything is timed.
//
//   build/bench/event_time_bench [RECORDS]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "transforms/event_time.h"

namespace {

using logtally::transforms::TimeFormat;
using Clock = std::chrono::steady_clock;

struct Case {
  const char* name;
  const char* format;
  const char* zone;
  const char* strptime_format;  ///< The baseline's format; the text's zone is in it or UTC.
  std::string (*make)(int i);
};

const char* const kMon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string apache(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "%02d/%s/2024:%02d:%02d:%02d +0000", 1 + i % 28, kMon[i % 12], i % 24,
                (i / 24) % 60, i % 60);
  return b;
}
std::string rfc(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "2024-%02d-%02dT%02d:%02d:%02dZ", 1 + i % 12, 1 + i % 28, i % 24,
                (i / 24) % 60, i % 60);
  return b;
}
std::string local(int i) {
  char b[64];
  std::snprintf(b, sizeof b, "2024-%02d-%02d %02d:%02d:%02d", 1 + i % 12, 1 + i % 28, i % 24,
                (i / 24) % 60, i % 60);
  return b;
}
std::string epoch(int i) { return std::to_string(1700000000LL + i * 37LL); }

int64_t baseline(const char* fmt, const std::string& text, bool* ok) {
  struct tm tm = {};
  const char* end = strptime(text.c_str(), fmt, &tm);
  *ok = end != nullptr && *end == '\0';
  const long gmtoff = tm.tm_gmtoff;  // %z fills it.
  return (static_cast<int64_t>(timegm(&tm)) - gmtoff) * 1'000'000'000;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
  const Case cases[] = {
      {"apache %d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S %z", "", "%d/%b/%Y:%H:%M:%S %z", apache},
      {"rfc3339", "rfc3339", "", "%Y-%m-%dT%H:%M:%SZ", rfc},
      {"pattern, Europe/Berlin", "%Y-%m-%d %H:%M:%S", "Europe/Berlin", nullptr, local},
      {"unix (seconds)", "unix", "", "%s", epoch},
  };
  std::printf("%-30s %12s %12s %8s\n", "format", "ns/record", "strptime ns", "faster");
  for (const Case& c : cases) {
    auto f = TimeFormat::compile(c.format, c.zone);
    if (!f) {
      std::fprintf(stderr, "%s: %s\n", c.name, f.error().message.c_str());
      return 1;
    }
    std::vector<std::string> texts;
    texts.reserve(4096);
    for (int i = 0; i < 4096; ++i) texts.push_back(c.make(i));
    // Check first: every text parses, to the baseline's value where there is one.
    for (const std::string& t : texts) {
      int64_t ns = 0;
      if (!f->parse(t, ns)) {
        std::fprintf(stderr, "%s: '%s' not parsed\n", c.name, t.c_str());
        return 1;
      }
      if (c.strptime_format) {
        bool ok = false;
        const int64_t want = baseline(c.strptime_format, t, &ok);
        if (!ok || want != ns) {
          std::fprintf(stderr, "%s: '%s' gives %lld, strptime+timegm %lld\n", c.name, t.c_str(),
                       static_cast<long long>(ns), static_cast<long long>(want));
          return 1;
        }
      }
    }
    int64_t sink = 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      int64_t ns = 0;
      f->parse(texts[static_cast<size_t>(i) & 4095], ns);
      sink += ns;
    }
    const auto t1 = Clock::now();
    double base_ns = 0;
    if (c.strptime_format) {
      bool ok = false;
      for (int i = 0; i < n; ++i) {
        sink += baseline(c.strptime_format, texts[static_cast<size_t>(i) & 4095], &ok);
      }
      base_ns = std::chrono::duration<double, std::nano>(Clock::now() - t1).count() / n;
    }
    const double ours = std::chrono::duration<double, std::nano>(t1 - t0).count() / n;
    if (c.strptime_format) {
      std::printf("%-30s %12.1f %12.1f %7.1fx\n", c.name, ours, base_ns, base_ns / ours);
    } else {
      std::printf("%-30s %12.1f %12s %8s\n", c.name, ours, "-", "-");
    }
    if (sink == 42) std::puts("");  // Keeps the loops.
  }
  return 0;
}
