// Fuzzes the checkpoint reader: arbitrary bytes as a checkpoint file. The bytes are read as
// they are (the header and checksum checks), and once more with the body length and the CRC-32
// rewritten to match, so the fuzzer also reaches the body's decoding, which a checksum guards
// in real files.
//
// Property: whatever decodes, encodes to bytes that decode to the same data (encode(decode(x))
// is a fixed point after one round).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "checkpoint/checkpoint_file.h"
#include "fuzz/fuzz_input.h"

namespace {

namespace checkpoint = logtally::checkpoint;

constexpr size_t kHeaderBytes = 8 + 4 + 8 + 8;  // magic, version, fingerprint, body length

// `bytes` with the body length and the trailing CRC-32 made consistent.
std::string with_valid_framing(std::string_view bytes) {
  std::string out(bytes);
  if (out.size() < kHeaderBytes + 4) return out;
  const uint64_t body = out.size() - kHeaderBytes - 4;
  std::memcpy(out.data() + 20, &body, 8);
  const uint32_t crc =
      static_cast<uint32_t>(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(out.data()),
                                  static_cast<uInt>(out.size() - 4)));
  std::memcpy(out.data() + out.size() - 4, &crc, 4);
  return out;
}

void check_round_trip(const checkpoint::ReadResult& r) {
  if (r.error != checkpoint::CheckpointError::kNone) {
    LOGTALLY_FUZZ_CHECK(!r.message.empty());
    return;
  }
  const std::string once = checkpoint::encode_checkpoint(r.data);
  const checkpoint::ReadResult again = checkpoint::decode_checkpoint(once, r.data.fingerprint);
  LOGTALLY_FUZZ_CHECK(again.error == checkpoint::CheckpointError::kNone);
  LOGTALLY_FUZZ_CHECK(checkpoint::encode_checkpoint(again.data) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_round_trip(checkpoint::decode_checkpoint(bytes, 0));
  if (size >= 8 && std::memcmp(data, "LTCKPT\r\n", 8) == 0) {
    check_round_trip(checkpoint::decode_checkpoint(with_valid_framing(bytes), 0));
  }
  return 0;
}
