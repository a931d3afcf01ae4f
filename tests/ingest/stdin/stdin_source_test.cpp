#include "ingest/stdin/stdin_source.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "ingest/multiline.h"

namespace logtally::ingest {
namespace {

// What the source handed to the channel, collected after it returned.
struct Collected {
  std::vector<std::string> records;
  uint64_t bytes_read = 0;
  uint64_t too_long = 0;
  std::vector<uint32_t> sources;  // Batch::source of each batch.
};

// A pipe whose write end the test feeds; the source reads the other end.
class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) ADD_FAILURE() << "pipe() failed";
    read_fd = fds[0];
    write_fd = fds[1];
  }
  ~Pipe() {
    close_write();
    if (read_fd >= 0) ::close(read_fd);
  }
  void write(const std::string& text) {
    ASSERT_EQ(::write(write_fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void close_write() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }
  int read_fd = -1;
  int write_fd = -1;
};

// Pops every batch until the channel is closed.
Collected drain(core::BatchChannel& channel) {
  Collected c;
  while (core::BatchPtr b = channel.pop()) {
    for (size_t i = 0; i < b->record_count(); ++i) c.records.emplace_back(b->record(i));
    c.bytes_read += b->bytes_read;
    c.too_long += b->too_long;
    c.sources.push_back(b->source);
    channel.recycle(std::move(b));
  }
  return c;
}

// Runs `source` on its own thread until it returns, then closes the channel.
Collected run_to_end(StdinSource& source, core::BatchChannel& channel) {
  std::atomic<bool> stop{false};
  std::thread runner([&] {
    source.run(channel, stop);
    channel.close();
  });
  Collected c = drain(channel);
  runner.join();
  return c;
}

SourceCommon common(uint32_t index, size_t max_record_bytes = size_t{1} << 20) {
  SourceCommon c;
  c.name = "stdin";
  c.index = index;
  c.max_record_bytes = max_record_bytes;
  return c;
}

TEST(StdinSourceTest, ReadsLinesUntilEndOfInput) {
  Pipe pipe;
  const std::string text = "first\r\nsecond\n\nlast without newline";
  pipe.write(text);
  pipe.close_write();
  core::BatchChannel channel(4, batch_capacity_for(1024));
  StdinSource source(common(3, 1024), SourceMode{}, pipe.read_fd);
  const Collected c = run_to_end(source, channel);
  // The '\r' before '\n' is dropped; the empty line is a record (the workers count it as empty).
  EXPECT_EQ(c.records, (std::vector<std::string>{"first", "second", "", "last without newline"}));
  EXPECT_EQ(c.bytes_read, text.size());  // Every byte written, the unterminated last line included.
  ASSERT_FALSE(c.sources.empty());
  for (uint32_t s : c.sources) EXPECT_EQ(s, 3u);
}

TEST(StdinSourceTest, LinesArrivingOverTimeAreEachCounted) {
  Pipe pipe;
  core::BatchChannel channel(4, batch_capacity_for(1024));
  StdinSource source(common(0), SourceMode{}, pipe.read_fd);
  std::atomic<bool> stop{false};
  std::thread runner([&] {
    source.run(channel, stop);
    channel.close();
  });
  // A slow writer: each line is handed over on its own before the next one is written.
  std::vector<std::string> got;
  for (const char* line : {"one", "two", "three"}) {
    pipe.write(std::string(line) + "\n");
    core::BatchPtr b = channel.pop();
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(b->record_count(), 1u);
    got.emplace_back(b->record(0));
    channel.recycle(std::move(b));
  }
  pipe.close_write();
  const Collected rest = drain(channel);
  runner.join();
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(rest.records.empty());
}

TEST(StdinSourceTest, TooLongLinesAreSkippedAndCounted) {
  Pipe pipe;
  pipe.write("ok\n" + std::string(100, 'x') + "\nfine\n" + std::string(9, 'y') + "\n");
  pipe.close_write();
  core::BatchChannel channel(4, batch_capacity_for(8));
  StdinSource source(common(0, 8), SourceMode{}, pipe.read_fd);
  const Collected c = run_to_end(source, channel);
  EXPECT_EQ(c.records, (std::vector<std::string>{"ok", "fine"}));
  EXPECT_EQ(c.too_long, 2u);
  EXPECT_EQ(c.bytes_read, 3u + 101u + 5u + 10u);
}

TEST(StdinSourceTest, StopEndsTheRunWhileNoInputComes) {
  Pipe pipe;  // The write end stays open: no data and no end of input.
  core::BatchChannel channel(4, batch_capacity_for(64));
  StdinSource source(common(0, 64), SourceMode{}, pipe.read_fd);
  std::atomic<bool> stop{false};
  std::promise<void> returned;
  std::future<void> done = returned.get_future();
  std::thread runner([&] {
    source.run(channel, stop);
    returned.set_value();
  });
  pipe.write("before stop\n");
  core::BatchPtr b = channel.pop();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->record_count(), 1u);
  channel.recycle(std::move(b));
  stop = true;
  // The contract: run() returns within about 200 ms of `stop`. 10 s means it never noticed.
  const bool ended = done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!ended) pipe.close_write();  // Let the thread end so the test can report instead of hang.
  runner.join();
  EXPECT_TRUE(ended) << "run() did not return within 10 s of stop";
}

TEST(StdinSourceTest, DescribesItselfAndIsNotCheckpointable) {
  StdinSource plain(common(0), SourceMode{});
  StdinSource tee(common(0), SourceMode{false, true});
  EXPECT_EQ(plain.describe(), "stdin");
  EXPECT_EQ(tee.describe(), "stdin (tee to stdout)");
  EXPECT_FALSE(plain.checkpointable());
  EXPECT_EQ(plain.checkpoint_state(), "");
}

// With `multiline`, a record in progress is handed over once no line came for its timeout,
// although stdin stays open and silent: the source does not wait for more input forever.
TEST(StdinSourceTest, AMultilineRecordIsHandedOverAfterItsTimeoutWithoutMoreInput) {
  Pipe pipe;
  core::BatchChannel channel(4, batch_capacity_for(1024));
  SourceCommon c = common(0, 1024);
  auto ml = std::make_shared<MultilineConfig>();
  ml->pattern = "^S";
  ml->regex = std::make_shared<const re2::RE2>(ml->pattern);
  ml->timeout = std::chrono::milliseconds(50);
  c.multiline = ml;
  StdinSource source(c, SourceMode{}, pipe.read_fd);
  std::atomic<bool> stop{false};
  std::thread runner([&] {
    source.run(channel, stop);
    channel.close();
  });
  auto got = std::async(std::launch::async, [&] {
    std::vector<std::string> records;
    while (records.empty()) {
      core::BatchPtr b = channel.pop();
      if (!b) break;
      for (size_t i = 0; i < b->record_count(); ++i) records.emplace_back(b->record(i));
      channel.recycle(std::move(b));
    }
    return records;
  });
  pipe.write("S1\n a\n");  // The write end stays open: no end of input.
  const bool arrived = got.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  stop = true;
  pipe.close_write();
  runner.join();
  EXPECT_TRUE(arrived);
  EXPECT_EQ(got.get(), (std::vector<std::string>{"S1\n a"}));
}

}  // namespace
}  // namespace logtally::ingest
