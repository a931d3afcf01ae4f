// A fast non-cryptographic 64-bit hash for label tuples.
//
// Label keys are short (tens of bytes), so the hash reads 8 bytes at a time and mixes with
// multiply-xorshift steps. It is not stable across versions and must never be persisted.
#pragma once

#include <cstdint>
#include <string_view>

namespace logtally::core {

uint64_t hash_bytes(std::string_view bytes) noexcept;

}  // namespace logtally::core
