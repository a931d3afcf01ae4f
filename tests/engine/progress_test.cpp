#include "engine/progress.h"

#include <gtest/gtest.h>

#include <unistd.h>

namespace logtally::engine {
namespace {

TEST(ProgressLinesTest, FilesShowPercentageAndTimeLeft) {
  const std::vector<std::string> lines =
      progress_lines({{"access", 1000000, 50 << 20, 200 << 20}, {"app", 212, 20582, 0}}, 2.0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "access: 25.0% of 200.0 MiB, 50.0 MiB, 1000000 lines, 25.0 MiB/s, 500000 lines/s, "
            "6s left");
  EXPECT_EQ(lines[1], "app: 20.1 KiB, 212 lines, 10.0 KiB/s, 106 lines/s");
}

TEST(ProgressLinesTest, DoneAndLongDurations) {
  EXPECT_EQ(progress_lines({{"f", 3, 900, 900}}, 1.0)[0],
            "f: 100.0% of 900 B, 900 B, 3 lines, 900 B/s, 3 lines/s, 0s left");
  // 1 GiB left at 1 MiB/s: 1024 s.
  EXPECT_EQ(progress_lines({{"f", 1, 1 << 20, (1ULL << 30) + (1 << 20)}}, 1.0)[0],
            "f: 0.1% of 1.0 GiB, 1.0 MiB, 1 lines, 1.0 MiB/s, 1 lines/s, 17m04s left");
  EXPECT_EQ(progress_lines({{"f", 0, 0, 10}}, 0.0)[0], "f: 0.0% of 10 B, 0 B, 0 lines");
}

class CountingHandler final : public core::BatchHandler {
 public:
  void handle(size_t, const core::Batch&) override { ++batches; }
  int batches = 0;
};

TEST(ProgressCounterTest, CountsLinesAndBytesPerSourceAfterTheHandler) {
  CountingHandler inner;
  ProgressCounter counter(inner, 2);
  core::Batch b(64);
  b.spans = {{0, 1}, {2, 1}};
  b.too_long = 1;
  b.bad_envelope = 2;
  b.bytes_read = 100;
  b.source = 1;
  counter.handle(0, b);
  counter.handle(0, b);
  EXPECT_EQ(inner.batches, 2);
  EXPECT_EQ(counter.lines(1), 10u);
  EXPECT_EQ(counter.bytes(1), 200u);
  EXPECT_EQ(counter.lines(0), 0u);
}

TEST(ProgressReporterTest, FinalDrawingOnlyWhenAskedOrAlreadyDrawn) {
  CountingHandler inner;
  ProgressCounter counter(inner, 1);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    // An interval longer than the test: nothing drawn before stop(), so nothing at all.
    ProgressReporter quiet({"f"}, {0}, counter, fds[1], /*final_always=*/false,
                           std::chrono::hours(1));
    quiet.start();
    quiet.stop();
    ProgressReporter always({"f"}, {0}, counter, fds[1], /*final_always=*/true,
                            std::chrono::hours(1));
    always.start();
    always.stop();
  }
  ::close(fds[1]);
  std::string got;
  char buf[256];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  ASSERT_EQ(got.substr(0, 4), "\r\033[K");
  EXPECT_EQ(got.substr(4, 15), "f: 0 B, 0 lines");
  EXPECT_EQ(got.back(), '\n');
}

}  // namespace
}  // namespace logtally::engine
