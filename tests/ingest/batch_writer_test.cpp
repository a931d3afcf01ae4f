#include "ingest/batch_writer.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::ingest {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> records(const core::Batch& b) {
  std::vector<std::string> out;
  for (size_t i = 0; i < b.record_count(); ++i) out.emplace_back(b.record(i));
  return out;
}

// The next queued batch (the channel must hold one: pop() would block otherwise).
core::BatchPtr pop_queued(core::BatchChannel& channel) {
  if (channel.in_flight() == 0) {
    ADD_FAILURE() << "no batch was queued";
    return nullptr;
  }
  return channel.pop();
}

TEST(BatchWriterTest, RecordsGoBackToBackAndFlushHandsTheBatchOver) {
  core::BatchChannel channel(2, 64);
  BatchWriter w(channel, 5);
  ASSERT_TRUE(w.append("alpha"));
  ASSERT_TRUE(w.append(""));
  ASSERT_TRUE(w.append("gamma"));
  EXPECT_EQ(w.room(), 54u);
  EXPECT_EQ(channel.in_flight(), 0u);  // Nothing handed over before flush().
  ASSERT_TRUE(w.flush());
  EXPECT_FALSE(w.has_batch());
  EXPECT_EQ(w.room(), 0u);
  core::BatchPtr b = pop_queued(channel);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(records(*b), (std::vector<std::string>{"alpha", "", "gamma"}));
  EXPECT_EQ(b->source, 5u);
  EXPECT_EQ(b->size, 10u);
  EXPECT_EQ(b->sequence, 1u);
  EXPECT_TRUE(b->record_fields.empty());
  channel.recycle(std::move(b));
}

TEST(BatchWriterTest, ARecordThatDoesNotFitStartsTheNextBatch) {
  core::BatchChannel channel(3, 10);
  BatchWriter w(channel, 0);
  ASSERT_TRUE(w.append("aaaa"));
  ASSERT_TRUE(w.append("bbbb"));
  EXPECT_EQ(channel.in_flight(), 0u);
  ASSERT_TRUE(w.append("cccc"));  // 12 > 10 bytes: the first batch goes first.
  EXPECT_EQ(channel.in_flight(), 1u);
  ASSERT_TRUE(w.append("dddddd"));  // Exactly fills the second batch.
  EXPECT_EQ(w.room(), 0u);
  ASSERT_TRUE(w.flush());
  core::BatchPtr first = pop_queued(channel);
  core::BatchPtr second = pop_queued(channel);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(records(*first), (std::vector<std::string>{"aaaa", "bbbb"}));
  EXPECT_EQ(records(*second), (std::vector<std::string>{"cccc", "dddddd"}));
  EXPECT_LT(first->sequence, second->sequence);
  channel.recycle(std::move(first));
  channel.recycle(std::move(second));
}

TEST(BatchWriterTest, FlushWithNothingToSayKeepsTheBatch) {
  core::BatchChannel channel(2, 64);
  BatchWriter w(channel, 0);
  ASSERT_NE(w.batch(), nullptr);
  ASSERT_TRUE(w.flush());
  EXPECT_TRUE(w.has_batch());
  EXPECT_EQ(channel.in_flight(), 0u);
  // A batch holding only counted drops is handed over, though it has no record.
  w.batch()->too_long = 2;
  ASSERT_TRUE(w.flush());
  EXPECT_FALSE(w.has_batch());
  core::BatchPtr b = pop_queued(channel);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->record_count(), 0u);
  EXPECT_EQ(b->too_long, 2u);
  channel.recycle(std::move(b));
}

TEST(BatchWriterTest, OnQueuedRunsOncePerBatchHandedOver) {
  struct Seen {
    std::vector<size_t> record_counts;
  } seen;
  core::BatchChannel channel(3, 8);
  BatchWriter w(channel, 0);
  w.set_on_queued(
      [](void* ctx, const core::Batch& b) {
        static_cast<Seen*>(ctx)->record_counts.push_back(b.record_count());
      },
      &seen);
  for (const char* r : {"1234", "5678", "9"}) ASSERT_TRUE(w.append(r));
  ASSERT_TRUE(w.flush());
  EXPECT_EQ(seen.record_counts, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(channel.in_flight(), 2u);
}

TEST(BatchWriterTest, NewFieldsHandTheBatchUnderTheOldOnesOverFirst) {
  core::BatchChannel channel(3, 64);
  BatchWriter w(channel, 0);
  auto pod_a = std::make_shared<core::SourceFields>();
  pod_a->values = {{"pod", "a"}};
  auto pod_b = std::make_shared<core::SourceFields>();
  pod_b->values = {{"pod", "b"}};
  ASSERT_TRUE(w.set_fields(pod_a));
  ASSERT_TRUE(w.append("from a"));
  EXPECT_TRUE(w.set_fields(pod_a));  // The same fields: nothing happens.
  EXPECT_EQ(channel.in_flight(), 0u);
  ASSERT_TRUE(w.set_fields(pod_b));
  EXPECT_EQ(channel.in_flight(), 1u);
  EXPECT_EQ(w.fields(), pod_b);
  ASSERT_TRUE(w.append("from b"));
  ASSERT_TRUE(w.flush());
  core::BatchPtr first = pop_queued(channel);
  core::BatchPtr second = pop_queued(channel);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(records(*first), (std::vector<std::string>{"from a"}));
  EXPECT_EQ(first->fields, pod_a);
  EXPECT_EQ(records(*second), (std::vector<std::string>{"from b"}));
  EXPECT_EQ(second->fields, pod_b);
  channel.recycle(std::move(first));
  channel.recycle(std::move(second));
}

TEST(BatchWriterTest, RecordLevelColumnsAreStoredWithEachRecord) {
  core::BatchChannel channel(2, 64);
  BatchWriter w(channel, 0);
  auto fields = std::make_shared<core::SourceFields>();
  fields->record_columns = {"stream", "partition"};
  ASSERT_TRUE(w.set_fields(fields));
  const std::string_view row1[2] = {"stdout", "3"};
  const std::string_view row2[2] = {"stderr", std::string_view()};  // partition absent
  ASSERT_TRUE(w.append("r1", row1, 2));
  ASSERT_TRUE(w.append("r2", row2, 2));
  ASSERT_TRUE(w.flush());
  core::BatchPtr b = pop_queued(channel);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(records(*b), (std::vector<std::string>{"r1", "r2"}));
  bool present = false;
  EXPECT_EQ(b->record_field(0, 0, present), "stdout");
  EXPECT_TRUE(present);
  EXPECT_EQ(b->record_field(0, 1, present), "3");
  EXPECT_TRUE(present);
  EXPECT_EQ(b->record_field(1, 0, present), "stderr");
  EXPECT_TRUE(present);
  EXPECT_EQ(b->record_field(1, 1, present), "");
  EXPECT_FALSE(present);
  EXPECT_EQ(b->size, 2u + 6u + 1u + 2u + 6u);
  channel.recycle(std::move(b));
}

TEST(BatchWriterTest, AnUnpushedBatchGoesBackToThePoolOnDestruction) {
  core::BatchChannel channel(1, 16);  // One batch only.
  {
    BatchWriter w(channel, 0);
    ASSERT_TRUE(w.append("never sent"));
    EXPECT_FALSE(BatchWriter(channel, 1).try_acquire_for(milliseconds(10)));  // All in use.
  }
  core::BatchPtr b = channel.try_acquire_for(milliseconds(10000));
  ASSERT_NE(b, nullptr) << "the writer's batch was not given back";
  EXPECT_EQ(b->record_count(), 0u);
  EXPECT_EQ(channel.in_flight(), 0u);
  channel.give_back(std::move(b));
}

TEST(BatchWriterTest, AStoppedChannelRefusesRecords) {
  core::BatchChannel channel(2, 16);
  BatchWriter w(channel, 0);
  ASSERT_TRUE(w.append("queued"));
  channel.stop();
  EXPECT_FALSE(w.flush());
  EXPECT_FALSE(w.append("after stop"));
  EXPECT_EQ(w.batch(), nullptr);
  EXPECT_FALSE(w.try_acquire_for(milliseconds(10)));
}

}  // namespace
}  // namespace logtally::ingest
