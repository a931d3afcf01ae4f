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

}  // namespace
}  // namespace logtally::core
