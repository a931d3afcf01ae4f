// Fuzzes the logfmt parser on one record with a plan of plain and dotted keys, as text and as
// numbers. Every record is some set of pairs, so the status is always kOk.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "parsers/logfmt_parser.h"

namespace {

namespace core = logtally::core;
namespace parsers = logtally::parsers;

struct Target {
  core::FieldPlan plan;
  std::unique_ptr<parsers::Parser> parser;

  Target() {
    const char* const text_fields[] = {"level", "msg", "caller", "http.method", "\"trace.id\""};
    const char* const number_fields[] = {"status", "duration", "bytes"};
    for (const char* f : text_fields) plan.add(*core::parse_field_path(f), core::kUseText);
    for (const char* f : number_fields) plan.add(*core::parse_field_path(f), core::kUseNumber);
    parser = parsers::logfmt_parser_spec()->make(plan);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target target;
  const logtally::fuzz::PaddedRecord record(
      std::string_view(reinterpret_cast<const char*>(data), size));
  core::Record out(target.plan.slot_count());
  LOGTALLY_FUZZ_CHECK(target.parser->parse(record.view(), out) == parsers::ParseStatus::kOk);
  logtally::fuzz::touch(out);
  return 0;
}
