#include "ingest/kafka/offsets.h"

#include <gtest/gtest.h>

namespace logtally::ingest {
namespace {

constexpr uint64_t kNone = core::kNoJoin;

PartitionPosition at(int64_t next, uint64_t j0 = kNone, uint64_t j1 = kNone, uint64_t j2 = kNone) {
  PartitionPosition p;
  p.next = next;
  p.joins = {j0, j1, j2};
  return p;
}

// The encoding is persisted in checkpoint files: pinned byte for byte. A position without
// unfinished joins is written as before joins were saved, so older files read the same.
TEST(KafkaOffsetsTest, EncodesOneLinePerPartitionInKeyOrder) {
  const PartitionOffsets offsets = {
      {{"b", 0}, at(7)}, {{"a", 10}, at(0)}, {{"a", 2}, at(123456789012)}};
  const std::string text = encode_offsets(offsets);
  EXPECT_EQ(text, "a\t2\t123456789012\na\t10\t0\nb\t0\t7\n");
  PartitionOffsets back;
  ASSERT_TRUE(decode_offsets(text, back));
  EXPECT_EQ(back, offsets);
  EXPECT_EQ(encode_offsets({}), "");
}

TEST(KafkaOffsetsTest, EncodesUnfinishedJoins) {
  const PartitionOffsets offsets = {{{"c", 0}, at(40, 31)}, {{"c", 1}, at(9, kNone, 2, 5)}};
  const std::string text = encode_offsets(offsets);
  EXPECT_EQ(text, "c\t0\t40\t31\t-\t-\nc\t1\t9\t-\t2\t5\n");
  PartitionOffsets back;
  ASSERT_TRUE(decode_offsets(text, back));
  EXPECT_EQ(back, offsets);
  EXPECT_EQ((back[{"c", 0}].fetch_from()), 31);
  EXPECT_EQ((back[{"c", 1}].fetch_from()), 2);
  EXPECT_EQ(at(12).fetch_from(), 12);
}

TEST(KafkaOffsetsTest, RefusesMalformedState) {
  PartitionOffsets out;
  for (const char* bad : {"a\t1\t2", "a\t1\n", "\t1\t2\n", "a\tx\t2\n", "a\t-1\t2\n", "a\t1\t-2\n",
                          "a\t1\t2x\n", "a\t1\t9\t3\t-\n", "a\t1\t9\t3\t-\t-\t-\n",
                          "a\t1\t9\tx\t-\t-\n", "a\t1\t9\t9\t-\t-\n", "a\t1\t9\t12\t-\t-\n"}) {
    EXPECT_FALSE(decode_offsets(bad, out)) << bad;
  }
  out.clear();
  EXPECT_TRUE(decode_offsets("", out));
  EXPECT_TRUE(out.empty());
}

TEST(KafkaOffsetsTest, ResumesAtTheFurtherOfSavedAndCommitted) {
  const PartitionPosition none;  // The group has no commit.
  EXPECT_EQ(resume_position(at(100), none), at(100));
  EXPECT_EQ(resume_position(at(100), at(40)), at(100));   // Crash between checkpoint and commit.
  EXPECT_EQ(resume_position(at(100), at(250)), at(250));  // Another instance counted on since.
  EXPECT_EQ(resume_position(at(100), at(100)), at(100));
  // Compared by where the counts end, not by where reading starts.
  EXPECT_EQ(resume_position(at(100, 90), at(95)), at(100, 90));
  EXPECT_EQ(resume_position(at(100), at(120, 80)), at(120, 80));
}

TEST(KafkaOffsetsTest, CommitMetadataCarriesTheJoins) {
  EXPECT_EQ(encode_commit_metadata(at(40)), "");
  const PartitionPosition p = at(40, 31, kNone, 35);
  const std::string md = encode_commit_metadata(p);
  EXPECT_EQ(md, "logtally-joins 40 31 - 35");
  EXPECT_EQ(committed_position(31, md), p);
  // Not ours, stale (committed elsewhere without it), malformed, or no commit at all.
  EXPECT_EQ(committed_position(31, ""), at(31));
  EXPECT_EQ(committed_position(31, "something else"), at(31));
  EXPECT_EQ(committed_position(50, md), at(50));
  EXPECT_EQ(committed_position(31, "logtally-joins 40 31 -"), at(31));
  EXPECT_EQ(committed_position(31, "logtally-joins 40 31 - 35 7"), at(31));
  EXPECT_EQ(committed_position(31, "logtally-joins 40 41 - -"), at(31));
  EXPECT_EQ(committed_position(-1001, md).next, -1);
}

}  // namespace
}  // namespace logtally::ingest
