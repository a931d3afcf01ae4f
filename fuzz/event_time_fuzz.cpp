// Fuzzes event times (transforms/event_time.h): the first line is a format (compiled with the
// zone of the second line when it compiles); every following line is parsed with it and with
// each fixed format. A parsed time must parse again to the same value (the result depends on
// the text alone), and a format that does not compile must say why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transforms/event_time.h"

using logtally::transforms::TimeFormat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= in.size();) {
    const size_t nl = in.find('\n', start);
    const size_t end = nl == std::string_view::npos ? in.size() : nl;
    lines.push_back(in.substr(start, end - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (lines.size() < 2) return 0;
  std::vector<TimeFormat> formats;
  // The zone is only looked up when it is a short plain name (no file system walk per input).
  const std::string_view zone = lines[1].size() <= 32 ? lines[1] : std::string_view("UTC");
  auto own = TimeFormat::compile(lines[0], zone);
  if (own) {
    formats.push_back(std::move(*own));
  } else if (own.error().message.empty()) {
    std::abort();
  }
  for (const char* f : {"rfc3339", "unix", "unix_ms", "unix_us", "unix_ns"}) {
    formats.push_back(TimeFormat::compile(f, "").value());
  }
  for (size_t i = 2; i < lines.size(); ++i) {
    // A copy of exactly the line's size: AddressSanitizer sees any read past it.
    const std::string text(lines[i]);
    for (const TimeFormat& f : formats) {
      int64_t a = 0, b = 0;
      const bool ok = f.parse(text, a);
      if (ok != f.parse(std::string(text), b) || (ok && a != b)) std::abort();
    }
  }
  return 0;
}
