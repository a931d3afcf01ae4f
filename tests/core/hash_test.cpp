#include "core/hash.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

TEST(HashTest, IsDeterministicAndLengthSensitive) {
  EXPECT_EQ(hash_bytes("GET|200"), hash_bytes("GET|200"));
  EXPECT_NE(hash_bytes(std::string_view("a\0", 2)), hash_bytes("a"));
  EXPECT_NE(hash_bytes(""), hash_bytes(std::string_view("\0", 1)));
}

TEST(HashTest, NoCollisionsOnManySimilarKeys) {
  std::set<uint64_t> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(hash_bytes("service-" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
  // Low bits index the series table: they must spread too.
  std::set<uint64_t> low;
  for (int i = 0; i < 4096; ++i) low.insert(hash_bytes(std::to_string(i)) & 0xFFFF);
  EXPECT_GT(low.size(), 3900u);
}

// stable_hash() values are persisted (file fingerprints, checkpoint config fingerprints): these
// are FNV-1a 64's published test values and must never change.
TEST(StableHashTest, IsFnv1a64) {
  EXPECT_EQ(stable_hash(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(stable_hash("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(stable_hash("foobar"), 0x85944171f73967e8ULL);
  static_assert(stable_hash("") == kStableHashBasis);
}

TEST(StableHashTest, ChainsAndHashesIntegersInMemoryOrder) {
  EXPECT_EQ(stable_hash("bar", stable_hash("foo")), stable_hash("foobar"));
  // 0x6f6f66 is "foo" followed by five zero bytes, little-endian.
  EXPECT_EQ(stable_hash_u64(0x6f6f66, kStableHashBasis),
            stable_hash(std::string_view("foo\0\0\0\0\0", 8)));
  EXPECT_EQ(stable_hash_u64(0, kStableHashBasis), 0xa8c7f832281a39c5ULL);
}

}  // namespace
}  // namespace logtally::core
