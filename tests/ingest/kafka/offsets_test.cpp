#include "ingest/kafka/offsets.h"

#include <gtest/gtest.h>

namespace logtally::ingest {
namespace {

// The encoding is persisted in checkpoint files: pinned byte for byte.
TEST(KafkaOffsetsTest, EncodesOneLinePerPartitionInKeyOrder) {
  const PartitionOffsets offsets = {{{"b", 0}, 7}, {{"a", 10}, 0}, {{"a", 2}, 123456789012}};
  const std::string text = encode_offsets(offsets);
  EXPECT_EQ(text, "a\t2\t123456789012\na\t10\t0\nb\t0\t7\n");
  PartitionOffsets back;
  ASSERT_TRUE(decode_offsets(text, back));
  EXPECT_EQ(back, offsets);
  EXPECT_EQ(encode_offsets({}), "");
}

TEST(KafkaOffsetsTest, RefusesMalformedState) {
  PartitionOffsets out;
  for (const char* bad :
       {"a\t1\t2", "a\t1\n", "\t1\t2\n", "a\tx\t2\n", "a\t-1\t2\n", "a\t1\t-2\n", "a\t1\t2x\n"}) {
    EXPECT_FALSE(decode_offsets(bad, out)) << bad;
  }
  out.clear();
  EXPECT_TRUE(decode_offsets("", out));
  EXPECT_TRUE(out.empty());
}

TEST(KafkaOffsetsTest, ResumesAtTheFurtherOfSavedAndCommitted) {
  EXPECT_EQ(resume_offset(100, -1001), 100);  // The group has no commit.
  EXPECT_EQ(resume_offset(100, 40), 100);     // Crash between durable checkpoint and commit.
  EXPECT_EQ(resume_offset(100, 250), 250);    // Another instance counted on meanwhile.
  EXPECT_EQ(resume_offset(100, 100), 100);
}

}  // namespace
}  // namespace logtally::ingest
