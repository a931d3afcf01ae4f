// Fuzzes `logtally test` files: arbitrary bytes as a test file (YAML, series lines in `expect:`
// and `absent:`). A file that loads has its series keys formatted and parsed back, which must
// give the same key (the format the runner compares actual series in).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/test_file.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  logtally::core::Result<logtally::cli::TestFile> file =
      logtally::cli::load_test_file_text(text, "fuzz.yaml");
  if (!file.ok()) {
    LOGTALLY_FUZZ_CHECK(!file.error().message.empty());
    return 0;
  }
  for (const logtally::cli::TestCase& t : file->tests) {
    for (const logtally::cli::ExpectedSeries& e : t.expect) {
      const std::string key = e.id.key();
      logtally::cli::SeriesId again;
      double value = 0;
      std::string error;
      size_t at = 0;
      LOGTALLY_FUZZ_CHECK(logtally::cli::parse_series(key, false, again, value, error, at));
      LOGTALLY_FUZZ_CHECK(again.key() == key);
    }
  }
  // A single series line, as it would stand in `expect:`.
  logtally::cli::SeriesId id;
  double value = 0;
  std::string error;
  size_t at = 0;
  if (!logtally::cli::parse_series(text, true, id, value, error, at)) {
    LOGTALLY_FUZZ_CHECK(at <= text.size() && !error.empty());
  }
  return 0;
}
