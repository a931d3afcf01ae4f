// Fuzzes the CRI and docker envelope decoders. The first byte picks the format and the join
// limit (max_record_bytes); the rest is fed as physical lines, one decode() call each, so that
// partial pieces are joined across calls, then flush() hands out what is still held.
//
// Properties: a decoded message never exceeds the limit; the stream is stdout, stderr or (docker
// only) absent; pending bytes stay within one limit per stream.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ingest/envelope.h"

namespace {

namespace ingest = logtally::ingest;

void check(const ingest::Decoded& d, ingest::EnvelopeFormat format, size_t limit) {
  LOGTALLY_FUZZ_CHECK(d.message.size() <= limit);
  LOGTALLY_FUZZ_CHECK(d.stream == "stdout" || d.stream == "stderr" ||
                      (format == ingest::EnvelopeFormat::kDocker && d.stream.data() == nullptr));
  uint64_t sum = 0;  // Every byte of the views must be readable.
  for (const char c : d.message) sum += static_cast<uint8_t>(c);
  for (const char c : d.time) sum += static_cast<uint8_t>(c);
  LOGTALLY_FUZZ_CHECK(sum != UINT64_MAX);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ingest::EnvelopeFormat format =
      (data[0] & 1) != 0 ? ingest::EnvelopeFormat::kDocker : ingest::EnvelopeFormat::kCri;
  // 8 to 1024 bytes: small enough that the fuzzer reaches kTooLong often.
  const size_t limit = 8 + static_cast<size_t>(data[0] >> 1) * 8;
  ingest::EnvelopeDecoder decoder(format, limit);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const std::string_view line : logtally::fuzz::split_lines(rest)) {
    // Each line in its own exactly padded allocation, as the last record of a batch would be.
    const logtally::fuzz::PaddedRecord padded(line);
    ingest::Decoded out;
    if (decoder.decode(padded.view(), out) == ingest::DecodeStatus::kRecord) {
      check(out, format, limit);
    }
    LOGTALLY_FUZZ_CHECK(decoder.pending_bytes() <= 3 * limit);
  }
  ingest::Decoded out;
  ingest::DecodeStatus status = ingest::DecodeStatus::kRecord;
  int flushed = 0;
  while (decoder.flush(out, status)) {
    if (status == ingest::DecodeStatus::kRecord) check(out, format, limit);
    LOGTALLY_FUZZ_CHECK(++flushed <= 3);
  }
  return 0;
}
