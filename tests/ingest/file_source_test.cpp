#include "ingest/file_source.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace logtally::ingest {
namespace {

namespace fs = std::filesystem;

// Runs a FileSource on its own thread and collects the records it produces.
class FileSourceHarness {
 public:
  explicit FileSourceHarness(FileSourceConfig cfg, bool once = false)
      : channel_(64, batch_capacity_for(cfg.max_record_bytes)),
        source_(0, std::move(cfg), SourceMode{once, false}) {}
  ~FileSourceHarness() { stop(); }

  core::Status start() {
    core::Status st = source_.prepare();
    if (!st) return st;
    thread_ = std::thread([this] { source_.run(channel_, stop_); });
    consumer_ = std::thread([this] {
      while (core::BatchPtr b = channel_.pop()) {
        std::lock_guard<std::mutex> lock(mu_);
        for (size_t i = 0; i < b->record_count(); ++i) records_.emplace_back(b->record(i));
        channel_.recycle(std::move(b));
      }
    });
    return st;
  }
  void join_source() {
    if (thread_.joinable()) thread_.join();
  }
  void stop() {
    stop_ = true;
    join_source();
    channel_.close();
    if (consumer_.joinable()) consumer_.join();
  }
  // Waits (bounded) until `n` records arrived; returns them.
  std::vector<std::string> wait_for(size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (records_.size() >= n) return records_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  core::BatchChannel channel_;
  FileSource source_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::thread consumer_;
  std::mutex mu_;
  std::vector<std::string> records_;
};

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("logtally-file-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "app.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void append(const std::string& text) {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << text;
  }
  FileSourceConfig config(bool at_end = false) {
    FileSourceConfig c;
    c.path = path_;
    c.start_at_end = at_end;
    c.max_record_bytes = 1024;
    c.poll_millis = 10;
    return c;
  }
  fs::path dir_;
  std::string path_;
};

TEST_F(FileSourceTest, OnceReadsToTheEndIncludingAnUnterminatedLine) {
  append("one\ntwo\nthree");
  FileSourceHarness h(config(), /*once=*/true);
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  EXPECT_EQ(h.wait_for(3), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(FileSourceTest, OnceWithAMissingFileIsAnError) {
  FileSourceHarness h(config(), /*once=*/true);
  const core::Status st = h.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(path_), std::string::npos);
}

TEST_F(FileSourceTest, FollowsGrowthTruncationAndRenameRotation) {
  append("a1\na2\n");
  FileSourceHarness h(config());
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(2).size(), 2u);

  append("a3\n");
  EXPECT_EQ(h.wait_for(3).back(), "a3");

  // copytruncate: the file is emptied in place and written again from the start.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fs::resize_file(path_, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  append("b1\n");
  EXPECT_EQ(h.wait_for(4).back(), "b1");

  // rename rotation: the old file gets one last line (also unterminated), then a new file.
  append("b2\nb3");
  fs::rename(path_, dir_ / "app.log.1");
  append("c1\n");
  auto all = h.wait_for(7);
  // The old file's unterminated last line is counted when the old file is left (after it
  // stayed at its end for two polls), so it may come after the new file's first line.
  ASSERT_EQ(all.size(), 7u);
  std::sort(all.begin() + 5, all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3", "c1"}));
}

TEST_F(FileSourceTest, StartAtEndSkipsExistingLines) {
  append("old1\nold2\n");
  FileSourceHarness h(config(/*at_end=*/true));
  ASSERT_TRUE(h.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  append("new1\n");
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"new1"}));
}

TEST_F(FileSourceTest, AFileThatAppearsLaterIsReadFromItsStart) {
  FileSourceHarness h(config(/*at_end=*/true));
  ASSERT_TRUE(h.start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  append("first\n");
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"first"}));
}

}  // namespace
}  // namespace logtally::ingest
