// Fuzzes the json parser in both validation modes on one record, with a plan of top-level,
// nested and quoted-dot fields used as text and as numbers.
//
// Beyond "no crash, no leak, no out-of-bounds read": the result does not depend on the bytes
// in the padding after the record, and whatever `validate: full` accepts, `validate: touched`
// (which checks less) accepts too, with the same field values. Then the input is also cut at
// its newlines into a batch, as a file source makes one: each line parsed after begin_batch()
// (stage 1 once for the batch) gives what it gives parsed alone, field values included.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "core/batch.h"
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
  std::unique_ptr<parsers::Parser> batch_full;  ///< Told about the batch (begin_batch).
  std::unique_ptr<parsers::Parser> batch_touched;

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
    batch_full = parsers::json_parser_spec(parsers::JsonValidate::kFull)->make(plan);
    batch_touched = parsers::json_parser_spec(parsers::JsonValidate::kTouched)->make(plan);
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

  // The input as a batch of lines: spans between newlines, a '\r' before one left out.
  logtally::core::Batch batch(size);
  if (size > 0) std::memcpy(batch.data(), data, size);
  batch.size = size;
  for (size_t start = 0; start <= size;) {
    const void* nl = std::memchr(batch.data() + start, '\n', size - start);
    const size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - batch.data()) : size;
    size_t len = end - start;
    if (nl && len > 0 && batch.data()[end - 1] == '\r') --len;
    if (len > 0 || nl) {
      batch.spans.push_back(
          logtally::core::Span{static_cast<uint32_t>(start), static_cast<uint32_t>(len)});
    }
    if (!nl) break;
    start = end + 1;
  }
  Record alone_out(target.plan.slot_count());
  Record batch_out(target.plan.slot_count());
  for (const bool is_full : {true, false}) {
    parsers::Parser& alone = is_full ? *target.full : *target.touched;
    parsers::Parser& batched = is_full ? *target.batch_full : *target.batch_touched;
    batched.begin_batch(batch);
    for (size_t i = 0; i < batch.record_count(); ++i) {
      const std::string_view line = batch.record(i);
      const logtally::fuzz::PaddedRecord copy(line);
      const parsers::ParseStatus a = alone.parse(copy.view(), alone_out);
      const parsers::ParseStatus b = batched.parse(line, batch_out);
      LOGTALLY_FUZZ_CHECK(a == b);
      if (a == parsers::ParseStatus::kOk) {
        for (uint32_t f = 0; f < alone_out.size(); ++f) {
          // An absent slot keeps a stale view (of an earlier line's copy): kinds only.
          const FieldValue& x = alone_out.slot(f);
          const FieldValue& y = batch_out.slot(f);
          LOGTALLY_FUZZ_CHECK(x.kind == y.kind);
          if (x.kind != FieldValue::Kind::kAbsent) LOGTALLY_FUZZ_CHECK(same_value(x, y));
        }
      }
    }
    batched.end_batch();
  }
  return 0;
}
