// Fuzzes filter expressions: the first line of the input is compiled; when it compiles, it is
// evaluated on a record whose slots (in plan order) take the following lines: `` absent,
// `true`/`false` booleans, a whole decimal number a number, anything else a string.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "transforms/filter.h"

namespace {

namespace core = logtally::core;

core::FieldValue value_of(std::string_view text) {
  core::FieldValue v;
  if (text.empty()) return v;
  v.text = text;
  if (text == "true" || text == "false") {
    v.kind = core::FieldValue::Kind::kBool;
    return v;
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    v.kind = core::FieldValue::Kind::kNumber;
    v.has_number = true;
    v.number = number;
    return v;
  }
  v.kind = core::FieldValue::Kind::kString;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string_view> lines =
      logtally::fuzz::split_lines(std::string_view(reinterpret_cast<const char*>(data), size));
  if (lines.empty()) return 0;
  core::FieldPlan plan;
  core::Result<logtally::transforms::Filter> filter =
      logtally::transforms::compile_filter(lines[0], plan);
  if (!filter.ok()) {
    // Every error names its column.
    LOGTALLY_FUZZ_CHECK(logtally::transforms::error_column(filter.error()) > 0);
    return 0;
  }
  core::Record record(plan.slot_count());
  for (size_t i = 0; i < plan.slot_count() && i + 1 < lines.size(); ++i) {
    record.slot(static_cast<uint32_t>(i)) = value_of(lines[i + 1]);
  }
  const bool first = filter->matches(record);
  // Evaluation is a pure function of the record.
  LOGTALLY_FUZZ_CHECK(filter->matches(record) == first);
  return 0;
}
