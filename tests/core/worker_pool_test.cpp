#include "core/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

using std::chrono::seconds;

// Records which worker handled which batch (by its bytes_read tag) and how many handle() calls
// were running at once, in total and per worker index.
class Recorder final : public BatchHandler {
 public:
  explicit Recorder(size_t workers) : inside_per_worker_(workers, 0), per_worker(workers, 0) {}
  void handle(size_t worker, const Batch& batch) override {
    std::lock_guard<std::mutex> lock(mu);
    if (worker >= per_worker.size()) {
      bad_worker_index = true;
      return;
    }
    if (++inside_per_worker_[worker] > 1) overlap_in_one_worker = true;
    tags.push_back(batch.bytes_read);
    ++per_worker[worker];
    --inside_per_worker_[worker];
  }
  std::mutex mu;
  std::vector<size_t> inside_per_worker_;
  std::vector<uint64_t> per_worker;
  std::vector<uint64_t> tags;
  bool bad_worker_index = false;
  bool overlap_in_one_worker = false;
};

// Acquires a batch, failing (not hanging) when none comes back within 10 s.
BatchPtr acquire_or_fail(BatchChannel& channel) {
  BatchPtr b = channel.try_acquire_for(std::chrono::milliseconds(10000));
  if (!b) ADD_FAILURE() << "no batch came back to the pool within 10 s";
  return b;
}

TEST(WorkerPoolTest, EveryBatchIsHandledExactlyOnceAndRecycled) {
  // One batch in the whole channel: the 200 pushes below go through only if the pool hands each
  // handled batch back.
  BatchChannel channel(1, 16);
  Recorder rec(3);
  WorkerPool pool(channel, rec, 3);
  for (uint64_t i = 1; i <= 200; ++i) {
    BatchPtr b = acquire_or_fail(channel);
    ASSERT_NE(b, nullptr) << "at batch " << i;
    b->bytes_read = i;
    ASSERT_TRUE(channel.push(std::move(b)));
  }
  channel.close();
  pool.join();
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_FALSE(rec.bad_worker_index);
  EXPECT_FALSE(rec.overlap_in_one_worker);
  ASSERT_EQ(rec.tags.size(), 200u);
  const std::set<uint64_t> distinct(rec.tags.begin(), rec.tags.end());
  EXPECT_EQ(distinct.size(), 200u);
  EXPECT_EQ(*distinct.begin(), 1u);
  EXPECT_EQ(*distinct.rbegin(), 200u);
  EXPECT_EQ(rec.per_worker[0] + rec.per_worker[1] + rec.per_worker[2], 200u);
  EXPECT_EQ(channel.in_flight(), 0u);
}

TEST(WorkerPoolTest, WorkersRunConcurrently) {
  // Each handle() waits until both workers are inside handle() at the same time. With fewer
  // than two threads this never happens and the handlers give up after 10 s.
  class Rendezvous final : public BatchHandler {
   public:
    void handle(size_t worker, const Batch&) override {
      std::unique_lock<std::mutex> lock(mu);
      workers.insert(worker);
      ++inside;
      cv.notify_all();
      if (!cv.wait_for(lock, seconds(10), [&] { return inside >= 2; })) timed_out = true;
    }
    std::mutex mu;
    std::condition_variable cv;
    int inside = 0;
    bool timed_out = false;
    std::set<size_t> workers;
  } rendezvous;
  BatchChannel channel(2, 16);
  WorkerPool pool(channel, rendezvous, 2);
  ASSERT_TRUE(channel.push(channel.acquire()));
  ASSERT_TRUE(channel.push(channel.acquire()));
  channel.close();
  pool.join();
  EXPECT_FALSE(rendezvous.timed_out) << "the two workers never handled batches at the same time";
  EXPECT_EQ(rendezvous.inside, 2);
  EXPECT_EQ(rendezvous.workers, (std::set<size_t>{0, 1}));
}

TEST(WorkerPoolTest, JoinReturnsOnceClosedWithNothingQueued) {
  BatchChannel channel(2, 16);
  Recorder rec(2);
  {
    WorkerPool pool(channel, rec, 2);
    channel.close();
  }  // The destructor joins.
  std::lock_guard<std::mutex> lock(rec.mu);
  EXPECT_TRUE(rec.tags.empty());
}

TEST(WorkerPoolTest, BatchesQueuedBeforeCloseAreAllHandled) {
  BatchChannel channel(8, 16);
  // Queued before the pool exists and closed at once: the workers still drain all eight.
  for (uint64_t i = 1; i <= 8; ++i) {
    BatchPtr b = channel.acquire();
    b->bytes_read = i * 10;
    ASSERT_TRUE(channel.push(std::move(b)));
  }
  channel.close();
  Recorder rec(2);
  WorkerPool pool(channel, rec, 2);
  pool.join();
  pool.join();  // A second join is a no-op.
  std::lock_guard<std::mutex> lock(rec.mu);
  std::vector<uint64_t> tags = rec.tags;
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<uint64_t>{10, 20, 30, 40, 50, 60, 70, 80}));
}

}  // namespace
}  // namespace logtally::core
