// Fuzzes the json parser in both validation modes on one record, with a plan of top-level,
// nested and quoted-dot fields used as text and as numbers.
//
// Beyond "no crash, no leak, no out-of-bounds read": the result does not depend on the bytes
// in the padding after the record, and whatever `validate: full` accepts, `validate: touched`
// (which checks less) accepts too, with the same field values.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "parsers/json_parser.h"

namespace {

using logtally::core::FieldPlan;
using logtally::core::FieldValue;
using logtally::core::Record;
namespace parsers = logtally::parsers;

struct Target {
  FieldPlan plan;
  std::unique_ptr<parsers::Parser> full;
  std::unique_ptr<parsers::Parser> touched;

  Target() {
    const char* const text_fields[] = {
        "level", "msg", "http.method", "kubernetes.labels.app", "\"log.level\"", "a.b.c.d"};
    const char* const number_fields[] = {"status", "duration_ms", "user.id", "http.bytes"};
    for (const char* f : text_fields)
      plan.add(*logtally::core::parse_field_path(f), logtally::core::kUseText);
    for (const char* f : number_fields) {
      plan.add(*logtally::core::parse_field_path(f), logtally::core::kUseNumber);
    }
    full = parsers::json_parser_spec(parsers::JsonValidate::kFull)->make(plan);
    touched = parsers::json_parser_spec(parsers::JsonValidate::kTouched)->make(plan);
  }
};

bool same_value(const FieldValue& a, const FieldValue& b) {
  if (a.kind != b.kind || a.text != b.text || a.has_number != b.has_number) return false;
  // NaN never comes out of JSON, so == is the right comparison.
  return !a.has_number || a.number == b.number;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Target target;
  const logtally::fuzz::PaddedRecord record(
      std::string_view(reinterpret_cast<const char*>(data), size));
  Record full_out(target.plan.slot_count());
  Record touched_out(target.plan.slot_count());
  const parsers::ParseStatus full = target.full->parse(record.view(), full_out);
  logtally::fuzz::touch(full_out);
  const parsers::ParseStatus touched = target.touched->parse(record.view(), touched_out);
  logtally::fuzz::touch(touched_out);
  if (full == parsers::ParseStatus::kOk) {
    LOGTALLY_FUZZ_CHECK(touched == parsers::ParseStatus::kOk);
    for (uint32_t i = 0; i < full_out.size(); ++i) {
      LOGTALLY_FUZZ_CHECK(same_value(full_out.slot(i), touched_out.slot(i)));
    }
  }
  // The bytes after the record are not part of it: the same record followed by what a batch
  // holds there (the next record) parses the same. (Parsed only now: a parse invalidates the
  // views of the fields compared above.)
  const logtally::fuzz::PaddedRecord in_batch(
      std::string_view(reinterpret_cast<const char*>(data), size),
      logtally::fuzz::PaddedRecord::kBatchPadding);
  Record again(target.plan.slot_count());
  LOGTALLY_FUZZ_CHECK(target.full->parse(in_batch.view(), again) == full);
  LOGTALLY_FUZZ_CHECK(target.touched->parse(in_batch.view(), again) == touched);
  return 0;
}
