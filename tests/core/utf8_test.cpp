#include "core/utf8.h"

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

std::string repaired(std::string_view s) {
  std::string out;
  append_repaired_utf8(s, out);
  return out;
}

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(is_valid_utf8(std::string_view("\0x", 2)));
}

TEST(Utf8Test, RejectsMalformedText) {
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
}

TEST(Utf8Test, RepairReplacesEachBadSequenceWithOneReplacementCharacter) {
  EXPECT_EQ(repaired("ok"), "ok");
  EXPECT_EQ(repaired("a\xFF"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(repaired("a\xE2\x82"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(repaired("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(repaired("x\xC3\xA9"), "x\xC3\xA9");
  EXPECT_TRUE(is_valid_utf8(repaired("\xED\xA0\x80 \xF8\x88\x80\x80\x80 \xC0")));
}

}  // namespace
}  // namespace logtally::core
