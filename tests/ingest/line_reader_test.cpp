#include "ingest/line_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace logtally::ingest {
namespace {

struct Collected {
  std::vector<std::string> records;
  uint64_t too_long = 0;
  uint64_t bytes = 0;
  size_t batches = 0;
};

// Feeds `chunks` through a pipe, one write per chunk and one read_from() per chunk, then ends
// the input, and collects what reached the channel.
Collected run(const std::vector<std::string>& chunks, size_t max_record) {
  core::BatchChannel channel(1000, batch_capacity_for(max_record));
  LineReader reader(channel, 7, max_record);
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  Collected out;
  auto drain = [&] {
    channel.close();
    while (core::BatchPtr b = channel.pop()) {
      EXPECT_EQ(b->source, 7u);
      for (size_t i = 0; i < b->record_count(); ++i) out.records.emplace_back(b->record(i));
      out.too_long += b->too_long;
      out.bytes += b->bytes_read;
      ++out.batches;
    }
  };
  for (const std::string& c : chunks) {
    // Write at most a pipe's worth at a time, then read exactly what was written.
    size_t written = 0;
    while (written < c.size()) {
      const ssize_t w =
          ::write(fds[1], c.data() + written, std::min<size_t>(c.size() - written, 65536));
      EXPECT_GT(w, 0);
      written += static_cast<size_t>(w);
      ssize_t pending = w;
      while (pending > 0) {
        const ssize_t r = reader.read_from(fds[0]);
        EXPECT_GT(r, 0);
        if (r <= 0) break;
        pending -= r;
      }
    }
  }
  ::close(fds[1]);
  while (reader.read_from(fds[0]) > 0) {
  }
  reader.finish();
  ::close(fds[0]);
  drain();
  return out;
}

TEST(LineReaderTest, SplitsLinesDropsCarriageReturnAndKeepsFinalLine) {
  const Collected c = run({"a\nbb\r\n\nccc\r\nlast"}, 100);
  EXPECT_EQ(c.records, (std::vector<std::string>{"a", "bb", "", "ccc", "last"}));
  EXPECT_EQ(c.too_long, 0u);
  EXPECT_EQ(c.bytes, 16u);
}

TEST(LineReaderTest, JoinsALineSplitAcrossReads) {
  const Collected c = run({"{\"a\":", "1}\n{\"b\"", ":2}\n"}, 100);
  EXPECT_EQ(c.records, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
}

TEST(LineReaderTest, TooLongLinesAreCountedNotBuffered) {
  const std::string huge(200000, 'x');
  const Collected c = run({"ok1\n", huge.substr(0, 50), huge.substr(50), "\nok2\n", huge}, 16);
  EXPECT_EQ(c.records, (std::vector<std::string>{"ok1", "ok2"}));
  EXPECT_EQ(c.too_long, 2u);  // one ended by '\n', one by the end of input
  EXPECT_EQ(c.bytes, 4u + 200000 + 5 + 200000);
}

TEST(LineReaderTest, LimitIsOnTheLineWithoutItsCarriageReturn) {
  const Collected c = run({"1234\r\n12345\n123456\r\n"}, 5);
  EXPECT_EQ(c.records, (std::vector<std::string>{"1234", "12345"}));
  EXPECT_EQ(c.too_long, 1u);
}

TEST(LineReaderTest, ManyLinesAcrossManyBatchesArriveIntactAndInOrder) {
  std::string input;
  std::vector<std::string> expected;
  for (int i = 0; i < 30000; ++i) {
    std::string line =
        "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 97, 'p') + "\"}";
    input += line + "\n";
    expected.push_back(std::move(line));
  }
  const Collected c = run({input}, 1 << 20);
  EXPECT_EQ(c.records, expected);
  EXPECT_EQ(c.bytes, input.size());
  EXPECT_GT(c.batches, 1u);
}

TEST(LineReaderTest, DiscardPartialForgetsTheUnfinishedLine) {
  core::BatchChannel channel(10, batch_capacity_for(100));
  LineReader reader(channel, 0, 100);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], "done\npart", 9), 9);
  ASSERT_EQ(reader.read_from(fds[0]), 9);
  EXPECT_EQ(reader.partial_bytes(), 4u);
  reader.discard_partial();
  EXPECT_EQ(reader.partial_bytes(), 0u);
  ASSERT_EQ(::write(fds[1], "new\n", 4), 4);
  ASSERT_EQ(reader.read_from(fds[0]), 4);
  reader.finish();
  channel.close();
  std::vector<std::string> records;
  while (core::BatchPtr b = channel.pop()) {
    for (size_t i = 0; i < b->record_count(); ++i) records.emplace_back(b->record(i));
  }
  EXPECT_EQ(records, (std::vector<std::string>{"done", "new"}));
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace logtally::ingest
