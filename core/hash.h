// Two non-cryptographic 64-bit hashes:
// - hash_bytes(): fast, for label tuples. Label keys are short (tens of bytes), so it reads 8
//   bytes at a time and mixes with multiply-xorshift steps. It is not stable across versions
//   and must never be persisted. Inline: it runs once per metric per record.
// - stable_hash(): FNV-1a 64, for what is persisted (file fingerprints in a file source's
//   checkpoint state, the checkpoint's config fingerprint). Its values must never change, or
//   saved checkpoints stop matching; tests/core/hash_test.cpp pins them. One byte at a time:
//   not for the per-record path.
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

/// FNV-1a 64's offset basis: the start value of a stable_hash() chain.
inline constexpr uint64_t kStableHashBasis = 0xcbf29ce484222325ULL;

/// FNV-1a 64 of `bytes`, continuing from `h` (chain calls to hash several pieces).
constexpr uint64_t stable_hash(std::string_view bytes, uint64_t h = kStableHashBasis) noexcept {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// stable_hash() of the 8 bytes of `v` in memory order (little-endian on every machine we run
/// on; checkpoint files are little-endian throughout), continuing from `h`.
inline uint64_t stable_hash_u64(uint64_t v, uint64_t h) noexcept {
  char b[8];
  std::memcpy(b, &v, 8);
  return stable_hash(std::string_view(b, 8), h);
}

}  // namespace logtally::core
