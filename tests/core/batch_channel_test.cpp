#include "core/batch_channel.h"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "core/worker_pool.h"

namespace logtally::core {
namespace {

class Summer final : public BatchHandler {
 public:
  void handle(size_t worker, const Batch& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    total += batch.bytes_read;
    ++batches;
    last_sequence = std::max(last_sequence, batch.sequence);
  }
  std::mutex mu_;
  uint64_t total = 0;
  uint64_t batches = 0;
  uint64_t last_sequence = 0;
};

TEST(BatchChannelTest, EveryPushedBatchIsHandledOnceThenWorkersStop) {
  BatchChannel channel(3, 128);  // Fewer batches than pushes: sources must wait for recycling.
  Summer summer;
  WorkerPool pool(channel, summer, 2);
  uint64_t expected = 0;
  for (uint64_t i = 1; i <= 1000; ++i) {
    BatchPtr b = channel.acquire();
    ASSERT_NE(b, nullptr);
    b->bytes_read = i;
    expected += i;
    ASSERT_TRUE(channel.push(std::move(b)));
  }
  channel.close();
  pool.join();
  EXPECT_EQ(summer.total, expected);
  EXPECT_EQ(summer.batches, 1000u);
  EXPECT_EQ(summer.last_sequence, 1000u);
}

TEST(BatchChannelTest, StopReleasesABlockedSource) {
  BatchChannel channel(1, 16);
  BatchPtr held = channel.acquire();
  ASSERT_NE(held, nullptr);
  std::atomic<bool> entered{false};
  std::atomic<bool> returned{false};
  std::thread source([&] {
    entered = true;
    BatchPtr b = channel.acquire();  // Blocks: the only batch is held.
    EXPECT_EQ(b, nullptr);
    returned = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!entered && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(entered.load()) << "the source thread never ran";
  // No batch is free, so the source's acquire() cannot have returned one.
  EXPECT_EQ(channel.try_acquire_for(std::chrono::milliseconds(1)), nullptr);
  EXPECT_FALSE(returned.load());
  channel.stop();
  source.join();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(channel.push(std::move(held)));
}

TEST(BatchChannelTest, BatchesAreReusedNotReallocated) {
  BatchChannel channel(2, 64);
  BatchPtr a = channel.acquire();
  const Batch* first = a.get();
  a->size = 10;
  a->spans.push_back({0, 10});
  ASSERT_TRUE(channel.push(std::move(a)));
  BatchPtr popped = channel.pop();
  ASSERT_EQ(popped.get(), first);
  channel.recycle(std::move(popped));
  BatchPtr again = channel.acquire();
  EXPECT_EQ(again.get(), first);
  EXPECT_EQ(again->size, 0u);
  EXPECT_TRUE(again->spans.empty());
  EXPECT_GE(again->spans.capacity(), 1u);
}

}  // namespace
}  // namespace logtally::core

namespace logtally::core {
namespace {

// The barrier: after pause()+drain() no batch is queued or handled, and the position a source
// records in push()'s on_queued hook covers exactly the handled batches.
struct Position {
  std::mutex mu;
  uint64_t dispatched = 0;  // Sum of bytes_read of queued batches.
};

TEST(BatchChannelBarrierTest, PausedAndDrainedStateMatchesHandledBatches) {
  BatchChannel channel(4, 64);
  Summer summer;
  WorkerPool pool(channel, summer, 2);
  Position pos;
  std::atomic<bool> done{false};
  std::thread source([&] {
    for (uint64_t i = 1; i <= 3000; ++i) {
      BatchPtr b = channel.acquire();
      b->bytes_read = i;
      channel.push(
          std::move(b),
          [](void* ctx, const Batch& batch) {
            auto* p = static_cast<Position*>(ctx);
            std::lock_guard<std::mutex> lock(p->mu);
            p->dispatched += batch.bytes_read;
          },
          &pos);
    }
    done = true;
  });
  int barriers = 0;
  while (!done.load()) {
    channel.pause();
    channel.drain();
    EXPECT_EQ(channel.in_flight(), 0u);
    uint64_t dispatched = 0;
    {
      std::lock_guard<std::mutex> lock(pos.mu);
      dispatched = pos.dispatched;
    }
    {
      std::lock_guard<std::mutex> lock(summer.mu_);
      ASSERT_EQ(summer.total, dispatched);
    }
    // Still paused: nothing moves.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    {
      std::lock_guard<std::mutex> lock(summer.mu_);
      ASSERT_EQ(summer.total, dispatched);
    }
    channel.resume();
    ++barriers;
  }
  source.join();
  channel.close();
  pool.join();
  EXPECT_EQ(summer.total, 3000ull * 3001 / 2);
  EXPECT_GT(barriers, 0);
}

TEST(BatchChannelBarrierTest, GiveBackDoesNotDisturbTheDrainCount) {
  BatchChannel channel(3, 64);
  ASSERT_TRUE(channel.push(channel.acquire()));
  BatchPtr in_worker = channel.pop();    // A worker is handling this one.
  channel.give_back(channel.acquire());  // A source returns an unused batch.
  EXPECT_EQ(channel.in_flight(), 1u);    // Still the worker's batch.
  channel.recycle(std::move(in_worker));
  EXPECT_EQ(channel.in_flight(), 0u);
  channel.pause();
  channel.drain();  // Returns at once: nothing in flight.
  channel.resume();
}

TEST(BatchChannelBarrierTest, StopReleasesAPausedPush) {
  BatchChannel channel(2, 64);
  channel.pause();
  std::atomic<bool> returned{false};
  bool pushed = true;
  std::thread source([&] {
    pushed = channel.push(channel.acquire());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(returned.load());
  channel.stop();
  source.join();
  EXPECT_FALSE(pushed);
  EXPECT_EQ(channel.in_flight(), 0u);
}

}  // namespace
}  // namespace logtally::core
