#include "core/tap.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace logtally::core {
namespace {

using std::chrono::milliseconds;

TEST(TapHubTest, ActiveOnlyWhileSomeoneSubscribes) {
  TapHub hub;
  EXPECT_FALSE(hub.active());
  auto a = hub.subscribe("", 0, false);
  auto b = hub.subscribe("api", 0, false);
  EXPECT_TRUE(hub.active());
  std::vector<std::shared_ptr<TapSubscription>> subs;
  hub.interested("api", subs);
  EXPECT_EQ(subs.size(), 2u);
  hub.interested("other", subs);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0], a);
  hub.unsubscribe(a);
  EXPECT_TRUE(hub.active());
  hub.unsubscribe(b);
  EXPECT_FALSE(hub.active());
}

TEST(TapHubTest, AnEndedSubscriptionLeavesTheHub) {
  TapHub hub;
  auto s = hub.subscribe("", 2, false);
  EXPECT_TRUE(s->offer("1"));
  EXPECT_FALSE(s->offer("2"));  // The limit: it takes no more.
  EXPECT_FALSE(s->offer("3"));
  std::vector<std::shared_ptr<TapSubscription>> subs;
  hub.interested("p", subs);
  EXPECT_TRUE(subs.empty());
  EXPECT_FALSE(hub.active());
  std::vector<std::string> lines;
  EXPECT_TRUE(s->wait(lines, milliseconds(0)));
  EXPECT_EQ(lines, (std::vector<std::string>{"1", "2"}));
  EXPECT_FALSE(s->wait(lines, milliseconds(0)));  // Ended and empty.
}

TEST(TapSubscriptionTest, LossyDropsAndCountsWhatDoesNotFit) {
  TapSubscription s("", 0, /*lossless=*/false, /*max_queued=*/2);
  EXPECT_TRUE(s.offer("a"));
  EXPECT_TRUE(s.offer("b"));
  EXPECT_TRUE(s.offer("c"));
  EXPECT_EQ(s.lost(), 1u);
  std::vector<std::string> lines;
  EXPECT_TRUE(s.wait(lines, milliseconds(0)));
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
}

TEST(TapSubscriptionTest, LosslessWaitsForTheReader) {
  TapSubscription s("", 0, /*lossless=*/true, /*max_queued=*/1);
  EXPECT_TRUE(s.offer("a"));
  std::thread writer([&] { EXPECT_TRUE(s.offer("b")); });  // Blocks until "a" is read.
  std::vector<std::string> lines;
  while (lines.size() < 2) {
    ASSERT_TRUE(s.wait(lines, milliseconds(5000)));
  }
  writer.join();
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.lost(), 0u);
}

TEST(TapSubscriptionTest, CloseReleasesABlockedWriter) {
  TapSubscription s("", 0, /*lossless=*/true, /*max_queued=*/1);
  EXPECT_TRUE(s.offer("a"));
  std::thread writer([&] { EXPECT_FALSE(s.offer("b")); });
  s.close();
  writer.join();
  std::vector<std::string> lines;
  EXPECT_FALSE(s.wait(lines, milliseconds(0)));
  EXPECT_TRUE(lines.empty());
}

TEST(TapSubscriptionTest, FinishEndsTheStreamAfterWhatIsQueued) {
  TapHub hub;
  auto s = hub.subscribe("", 0, true);
  EXPECT_TRUE(s->offer("x"));
  hub.finish_all();
  EXPECT_FALSE(hub.active());
  std::vector<std::string> lines;
  EXPECT_TRUE(s->wait(lines, milliseconds(0)));
  EXPECT_EQ(lines, (std::vector<std::string>{"x"}));
  EXPECT_FALSE(s->wait(lines, milliseconds(0)));
  EXPECT_FALSE(s->offer("y"));
}

}  // namespace
}  // namespace logtally::core
