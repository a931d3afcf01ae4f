// A fast non-cryptographic 64-bit hash for label tuples.
//
// Label keys are short (tens of bytes), so the hash reads 8 bytes at a time and mixes with
// multiply-xorshift steps. It is not stable across versions and must never be persisted.
// Inline: it runs once per metric per record.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace logtally::core {

namespace hash_detail {

constexpr uint64_t kMulA = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kMulB = 0xbf58476d1ce4e5b9ULL;
constexpr uint64_t kMulC = 0x94d049bb133111ebULL;

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Final avalanche (the splitmix64 finaliser): every input bit affects every output bit.
inline uint64_t finalise(uint64_t h) {
  h ^= h >> 30;
  h *= kMulB;
  h ^= h >> 27;
  h *= kMulC;
  h ^= h >> 31;
  return h;
}

}  // namespace hash_detail

inline uint64_t hash_bytes(std::string_view bytes) noexcept {
  using namespace hash_detail;
  const char* p = bytes.data();
  size_t n = bytes.size();
  uint64_t h = kMulA ^ (n * kMulC);
  while (n >= 8) {
    h = (h ^ load64(p)) * kMulB;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    // Tail of 1..7 bytes, zero-extended.
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    h = (h ^ tail ^ (static_cast<uint64_t>(n) << 56)) * kMulB;
  }
  return finalise(h);
}

}  // namespace logtally::core
