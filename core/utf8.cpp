#include "core/utf8.h"

#include <cstdint>

namespace logtally::core {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not one.
size_t valid_sequence_length(std::string_view s, size_t i) noexcept {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  const size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    return (left >= 2 && (b(i + 1) & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const uint8_t c1 = b(i + 1);
    // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
    const uint8_t lo = (c == 0xE0) ? 0xA0 : 0x80;
    const uint8_t hi = (c == 0xED) ? 0x9F : 0xBF;
    if (c1 < lo || c1 > hi) return 0;
    return ((b(i + 2) & 0xC0) == 0x80) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const uint8_t c1 = b(i + 1);
    // F0 needs 90..BF (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
    const uint8_t lo = (c == 0xF0) ? 0x90 : 0x80;
    const uint8_t hi = (c == 0xF4) ? 0x8F : 0xBF;
    if (c1 < lo || c1 > hi) return 0;
    return ((b(i + 2) & 0xC0) == 0x80 && (b(i + 3) & 0xC0) == 0x80) ? 4 : 0;
  }
  return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    // Fast path over ASCII.
    if (static_cast<uint8_t>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = valid_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_repaired_utf8(std::string_view s, std::string& out) {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = valid_sequence_length(s, i);
    if (n > 0) {
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    out.append("\xEF\xBF\xBD");  // U+FFFD
    // Skip the lead byte and any continuation bytes that belong to the broken sequence.
    ++i;
    while (i < s.size() && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) ++i;
  }
}

}  // namespace logtally::core
