#include "engine/backfill_remote_write.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::engine {
namespace {

// One request as text: "name{labels} t=v t=v | ..." per series, in request order.
std::string show(const std::vector<sinks::TimedSeries>& request) {
  std::string out;
  for (const sinks::TimedSeries& ts : request) {
    if (!out.empty()) out += " | ";
    for (const auto& [name, value] : ts.labels)
      out += std::string(name) + "=" + std::string(value) + ",";
    for (const sinks::TimedSample& s : ts.samples) {
      out += " " + std::to_string(s.timestamp_ms) + ":" + std::to_string(static_cast<int>(s.value));
    }
  }
  return out;
}

std::vector<BackfillSeries> three_series() {
  BackfillSeries a;  // A counter at every boundary.
  a.labels = {{"__name__", "reqs_total"}, {"status", "200"}};
  a.values = {1, 2, 3};
  BackfillSeries b;  // A gauge first set in the second step.
  b.labels = {{"__name__", "queue_last"}};
  b.first = 1;
  b.values = {10, 20};
  BackfillSeries c;  // A histogram bucket.
  c.labels = {{"__name__", "dur_seconds_bucket"}, {"le", "0.5"}};
  c.values = {4, 5, 6};
  return {a, b, c};
}

TEST(BackfillRemoteWriteTest, RequestsGoBoundaryByBoundaryWithAtMostMaxSamples) {
  std::vector<std::string> requests;
  std::vector<size_t> counts;
  const bool ok = for_each_backfill_request(
      three_series(), 3, 10, 1000, 3, [&](const std::vector<sinks::TimedSeries>& r, size_t n) {
        requests.push_back(show(r));
        counts.push_back(n);
        return true;
      });
  ASSERT_TRUE(ok);
  // Boundary 10 (t=10000): A, C (B is not set yet); 11: A, B, C; 12: A, B, C. Cut every 3.
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0],
            "__name__=reqs_total,status=200, 10000:1 11000:2 | "
            "__name__=dur_seconds_bucket,le=0.5, 10000:4");
  EXPECT_EQ(requests[1],
            "__name__=queue_last, 11000:10 | __name__=dur_seconds_bucket,le=0.5, 11000:5 | "
            "__name__=reqs_total,status=200, 12000:3");
  EXPECT_EQ(requests[2],
            "__name__=queue_last, 12000:20 | __name__=dur_seconds_bucket,le=0.5, 12000:6");
  EXPECT_EQ(counts, (std::vector<size_t>{3, 3, 2}));
}

TEST(BackfillRemoteWriteTest, OneRequestWhenAllFit) {
  std::vector<std::string> requests;
  ASSERT_TRUE(for_each_backfill_request(three_series(), 3, 0, 60000, 100,
                                        [&](const std::vector<sinks::TimedSeries>& r, size_t n) {
                                          EXPECT_EQ(n, 8u);
                                          requests.push_back(show(r));
                                          return true;
                                        }));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0],
            "__name__=reqs_total,status=200, 0:1 60000:2 120000:3 | "
            "__name__=dur_seconds_bucket,le=0.5, 0:4 60000:5 120000:6 | "
            "__name__=queue_last, 60000:10 120000:20");
}

TEST(BackfillRemoteWriteTest, StopsAtTheFirstRefusedRequest) {
  int calls = 0;
  EXPECT_FALSE(for_each_backfill_request(
      three_series(), 3, 0, 1000, 2,
      [&](const std::vector<sinks::TimedSeries>&, size_t) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(BackfillRemoteWriteTest, NothingToSendSendsNothing) {
  int calls = 0;
  EXPECT_TRUE(for_each_backfill_request({}, 0, 0, 1000, 10,
                                        [&](const std::vector<sinks::TimedSeries>&, size_t) {
                                          ++calls;
                                          return true;
                                        }));
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace logtally::engine
