#include "ingest/file/file_source.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "ingest/multiline.h"

namespace logtally::ingest {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxRecordBytes = 1024;

// Runs a FileSource on its own thread and collects the records it produces.
class FileSourceHarness {
 public:
  explicit FileSourceHarness(FileSourceConfig cfg, bool once = false, const std::string& state = "",
                             EnvelopeFormat format = EnvelopeFormat::kNone,
                             std::shared_ptr<const MultilineConfig> multiline = nullptr)
      : channel_(64, batch_capacity_for(kMaxRecordBytes)),
        source_(SourceCommon{"f", 0, kMaxRecordBytes, format, std::move(multiline)}, std::move(cfg),
                SourceMode{once, false}) {
    if (!state.empty()) restored_ = source_.restore_state(state);
  }
  core::Status restored_ = core::Ok{};
  FileSource& source() { return source_; }
  std::vector<std::string> pods() {
    std::lock_guard<std::mutex> lock(mu_);
    return pods_;
  }
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> lock(mu_);
    return names_;
  }
  ~FileSourceHarness() { stop(); }
  /// Bytes, bad envelopes and too-long lines of every batch received.
  std::array<uint64_t, 3> counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return {bytes_, bad_envelope_, too_long_};
  }

  core::Status start() {
    core::Status st = source_.prepare();
    if (!st) return st;
    thread_ = std::thread([this] { source_.run(channel_, stop_); });
    consumer_ = std::thread([this] {
      while (core::BatchPtr b = channel_.pop()) {
        std::lock_guard<std::mutex> lock(mu_);
        bytes_ += b->bytes_read;
        bad_envelope_ += b->bad_envelope;
        too_long_ += b->too_long;
        for (size_t i = 0; i < b->record_count(); ++i) {
          records_.emplace_back(b->record(i));
          int at = b->fields ? b->fields->find_value("pod") : -1;
          pods_.push_back(at >= 0 ? b->fields->values[static_cast<size_t>(at)].second : "");
          at = b->fields ? b->fields->find_value("name") : -1;
          names_.push_back(at >= 0 ? b->fields->values[static_cast<size_t>(at)].second : "");
        }
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
  std::vector<std::string> pods_;
  std::vector<std::string> names_;
  uint64_t bytes_ = 0;
  uint64_t bad_envelope_ = 0;
  uint64_t too_long_ = 0;
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

  // copytruncate: the file is emptied in place and written again from the start. Whenever the
  // source looks, the size (0, then 3) is below its offset (9): it starts again at 0.
  fs::resize_file(path_, 0);
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
  // prepare() (in start()) opened the file at its end: what comes now is new.
  ASSERT_EQ(h.source().files_open(), 1u);
  append("new1\n");
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"new1"}));
}

TEST_F(FileSourceTest, AFileThatAppearsLaterIsReadFromItsStart) {
  FileSourceHarness h(config(/*at_end=*/true));
  ASSERT_TRUE(h.start().ok());
  // prepare()'s first scan found no file: the one created now is new, read from its start.
  ASSERT_EQ(h.source().files_open(), 0u);
  append("first\n");
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"first"}));
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::app | std::ios::binary);
  out << text;
}

// Waits (bounded) until `pred` holds.
template <class F>
bool eventually(F pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST_F(FileSourceTest, GlobsPickUpNewFilesSkipExcludedAndReleaseDeletedOnes) {
  write_file(dir_ / "a.log", "a1\n");
  write_file(dir_ / "skip-me.log", "s1\n");
  write_file(dir_ / "other.txt", "o1\n");
  FileSourceConfig c = config();
  c.path.clear();
  c.include = {(dir_ / "*.log").string()};
  c.exclude = {"skip*"};
  FileSourceHarness h(c);
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"a1"}));
  write_file(dir_ / "b.log", "b1\n");  // Appears while running: read from its start.
  auto got = h.wait_for(2);
  EXPECT_EQ(got, (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(h.names(), (std::vector<std::string>{"a.log", "b.log"}));
  EXPECT_EQ(h.source().files_open(), 2u);
  fs::remove(dir_ / "a.log");
  EXPECT_TRUE(eventually([&] { return h.source().files_open() == 1; }));
  // A file created after all that is read once the scans that saw the others are done: only
  // its line comes, nothing from skip-me.log or other.txt.
  write_file(dir_ / "c.log", "c1\n");
  EXPECT_EQ(h.wait_for(3), (std::vector<std::string>{"a1", "b1", "c1"}));
}

TEST_F(FileSourceTest, AnUnterminatedLineWaitsForItsNewlineAndIsNotInTheState) {
  append("x\ny");
  FileSourceHarness h(config());
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"x"}));
  // "y" is not a record yet: the saved position stays after "x\n" (and the end shows "y" was
  // never handed over on its own).
  const std::string state = h.source().checkpoint_state();
  EXPECT_NE(state.find(" 2 " + std::to_string(path_.size()) + " " + path_), std::string::npos)
      << state;  // Offset 2: just after "x\n".
  append("z\n");
  EXPECT_EQ(h.wait_for(2), (std::vector<std::string>{"x", "yz"}));
  h.stop();
  EXPECT_EQ(h.wait_for(2).size(), 2u);
}

TEST_F(FileSourceTest, SavedPositionResumesThereAndAReusedInodeIsNotTrusted) {
  append("l1\nl2\n");
  std::string state;
  {
    FileSourceHarness h(config());
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(2).size(), 2u);
    EXPECT_TRUE(eventually([&] {
      return h.source().checkpoint_state().find(" 6 " + std::to_string(path_.size())) !=
             std::string::npos;
    }));
    state = h.source().checkpoint_state();
  }
  append("l3\n");
  {
    FileSourceHarness h(config(), false, state);
    ASSERT_TRUE(h.restored_.ok());
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"l3"}));
    // l1 and l2 are not read again: the next line comes right after l3.
    append("l4\n");
    EXPECT_EQ(h.wait_for(2), (std::vector<std::string>{"l3", "l4"}));
  }
  // Same device and inode, but other first bytes (a file that reused the inode): the saved
  // position does not apply and the file is read from its start.
  {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << "n1\nn2\nn3\n";
  }
  FileSourceHarness h(config(), false, state);
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(3), (std::vector<std::string>{"n1", "n2", "n3"}));
  FileSourceHarness bad(config(), false, "garbage");
  EXPECT_FALSE(bad.restored_.ok());
}

TEST_F(FileSourceTest, AfterARestoreStartAtEndNoLongerSkipsUnknownFiles) {
  // A file created while logtally was down is new since the checkpoint: read from its start.
  append("while-down\n");
  FileSourceHarness h(config(/*at_end=*/true), false, "logtally-file-state 2\n");
  ASSERT_TRUE(h.restored_.ok());
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"while-down"}));
}

TEST_F(FileSourceTest, ASavedFileRenamedAwayWhileDownIsFoundByInodeAndReadToItsEnd) {
  append("old1\n");
  std::string state;
  {
    FileSourceHarness h(config());
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(1).size(), 1u);
    EXPECT_TRUE(
        eventually([&] { return h.source().checkpoint_state().find(" 5 ") != std::string::npos; }));
    state = h.source().checkpoint_state();
  }
  // While logtally is down: the file gets more lines (the last unterminated), is rotated away
  // to a name the source does not follow, and a new file takes its place.
  append("old2\nold3");
  fs::rename(path_, dir_ / "app.log.1");
  append("new1\n");
  // An unrelated file in the same directory is not read.
  write_file(dir_ / "unrelated.txt", "zzz\n");
  FileSourceHarness h(config(), /*once=*/true, state);
  ASSERT_TRUE(h.restored_.ok());
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  h.stop();  // Every record is collected: none may be extra.
  auto got = h.wait_for(3);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"new1", "old2", "old3"}));
}

TEST_F(FileSourceTest, ASymlinkedFileRotatedInItsTargetDirectoryIsFoundAfterARestart) {
  // The kubelet's layout: /var/log/containers/x.log -> /var/log/pods/.../0.log, and rotation
  // renames the target inside the pods directory.
  fs::create_directories(dir_ / "pods");
  fs::create_directories(dir_ / "containers");
  write_file(dir_ / "pods" / "0.log", "p1\n");
  fs::create_symlink(dir_ / "pods" / "0.log", dir_ / "containers" / "x.log");
  FileSourceConfig c = config();
  c.path.clear();
  c.include = {(dir_ / "containers" / "*.log").string()};
  std::string state;
  {
    FileSourceHarness h(c);
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"p1"}));
    EXPECT_TRUE(
        eventually([&] { return h.source().checkpoint_state().find(" 3 ") != std::string::npos; }));
    state = h.source().checkpoint_state();
  }
  write_file(dir_ / "pods" / "0.log", "p2\n");
  fs::rename(dir_ / "pods" / "0.log", dir_ / "pods" / "0.log.20261124-120000");
  write_file(dir_ / "pods" / "0.log", "q1\n");
  FileSourceHarness h(c, /*once=*/true, state);
  ASSERT_TRUE(h.restored_.ok());
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  h.stop();
  auto got = h.wait_for(2);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"p2", "q1"}));
}

TEST_F(FileSourceTest, PathPatternGroupsBecomeSourceFields) {
  const fs::path p = dir_ / "web-1_default_app-0123abcd.log";
  write_file(p, "r1\n");
  FileSourceConfig c = config();
  c.path = p.string();
  c.path_pattern =
      R"(/(?P<pod>[^_/]+)_(?P<namespace>[^_]+)_(?P<container>.+)-(?P<id>[0-9a-f]+)\.log$)";
  FileSourceHarness h(c, /*once=*/true);
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(h.pods(), (std::vector<std::string>{"web-1"}));
  EXPECT_EQ(h.names(), (std::vector<std::string>{"web-1_default_app-0123abcd.log"}));
}

}  // namespace
}  // namespace logtally::ingest

namespace logtally::ingest {
namespace {

// A checkpoint taken while a CRI record is half joined (its stdout pieces on both sides of a
// stderr record and a bad line): the state holds the position after the last line read and the
// start of the unfinished join; a restart from it reads the file again from that start, skips
// what was counted (the stderr record, the bad line, their bytes) and joins the record whole,
// once.
TEST_F(FileSourceTest, ARecordHalfJoinedAtACheckpointIsCountedOnceWhole) {
  const std::string a = "2024-01-01T00:00:00Z stdout P {\"msg\":\"hel\n";
  const std::string b = "2024-01-01T00:00:00Z stderr F err-1\n";
  const std::string c = "garbage\n";
  const std::string d = "2024-01-01T00:00:01Z stdout P lo wor\n";
  append(a + b + c + d);
  const uint64_t end = a.size() + b.size() + c.size() + d.size();
  const std::string want = " " + std::to_string(end) + " ";
  std::string state;
  {
    FileSourceHarness h(config(), false, "", EnvelopeFormat::kCri);
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"err-1"}));
    ASSERT_TRUE(eventually([&] {
      return h.source().checkpoint_state().find(want) != std::string::npos;
    })) << h.source().checkpoint_state();
    state = h.source().checkpoint_state();
    EXPECT_EQ(h.counts(), (std::array<uint64_t, 3>{end, 1, 0}));
  }
  // The file's line ends with the join starts: stdout's at 0, none on stderr and "no stream".
  const std::string none = std::to_string(core::kNoJoin);
  EXPECT_NE(state.find(path_ + " 0 " + none + " " + none + "\n"), std::string::npos) << state;

  const std::string e = "2024-01-01T00:00:02Z stderr F err-2\n";
  const std::string f = "2024-01-01T00:00:02Z stdout F ld\"}\n";
  append(e + f);
  FileSourceHarness h(config(), false, state, EnvelopeFormat::kCri);
  ASSERT_TRUE(h.restored_.ok());
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(2), (std::vector<std::string>{"err-2", "{\"msg\":\"hello world\"}"}));
  const std::string all =
      " " + std::to_string(end + e.size() + f.size()) + " " + std::to_string(path_.size()) + " ";
  const std::string no_joins = path_ + " " + none + " " + none + " " + none + "\n";
  ASSERT_TRUE(eventually([&] {
    const std::string st = h.source().checkpoint_state();
    return st.find(all) != std::string::npos && st.find(no_joins) != std::string::npos;
  })) << h.source().checkpoint_state();
  // Only the new bytes; the bad line is not counted again.
  EXPECT_EQ(h.counts(), (std::array<uint64_t, 3>{e.size() + f.size(), 0, 0}));
  // Nothing else comes from the re-read part: the next record is the next line written.
  append("2024-01-01T00:00:03Z stdout F next\n");
  EXPECT_EQ(h.wait_for(3),
            (std::vector<std::string>{"err-2", "{\"msg\":\"hello world\"}", "next"}));
}

// Two files whose partial lines interleave by turns: each file joins its own pieces.
TEST_F(FileSourceTest, JoinsArePerFile) {
  FileSourceConfig cfg;
  cfg.include = {(dir_ / "*.log").string()};
  cfg.poll_millis = 10;
  write_file(dir_ / "a.log", "2024-01-01T00:00:00Z stdout P a1-\n");
  write_file(dir_ / "b.log", "2024-01-01T00:00:00Z stdout P b1-\n");
  FileSourceHarness h(cfg, false, "", EnvelopeFormat::kCri);
  ASSERT_TRUE(h.start().ok());
  ASSERT_TRUE(eventually([&] { return h.counts()[0] == 68; }));
  write_file(dir_ / "a.log", "2024-01-01T00:00:01Z stdout F a2\n");
  write_file(dir_ / "b.log", "2024-01-01T00:00:01Z stdout F b2\n");
  std::vector<std::string> got = h.wait_for(2);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"a1-a2", "b1-b2"}));
}

std::shared_ptr<const MultilineConfig> start_multiline(const std::string& pattern,
                                                       std::chrono::milliseconds timeout) {
  auto c = std::make_shared<MultilineConfig>();
  c->mode = MultilineConfig::Mode::kStart;
  c->pattern = pattern;
  c->regex = std::make_shared<const re2::RE2>(pattern);
  c->timeout = timeout;
  return c;
}

// A checkpoint taken while a multi-line record is in progress saves the position after the
// last line read and the start of that record; a restart from it reads the file again from the
// record's first line and hands it over once, whole, with only the new bytes counted.
TEST_F(FileSourceTest, AMultilineRecordInProgressAtACheckpointIsCountedOnceWhole) {
  const auto ml = start_multiline("^S", std::chrono::hours(1));
  append("S1\n a\nS2\n b\n");  // S1 ends when S2 starts; S2 is in progress from offset 6.
  const std::string none = std::to_string(core::kNoJoin);
  std::string state;
  {
    FileSourceHarness h(config(), false, "", EnvelopeFormat::kNone, ml);
    ASSERT_TRUE(h.start().ok());
    EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"S1\n a"}));
    const std::string want = " 12 " + std::to_string(path_.size()) + " " + path_;
    const std::string starts = " " + none + " " + none + " 6\n";
    ASSERT_TRUE(eventually([&] {
      const std::string st = h.source().checkpoint_state();
      return st.find(want) != std::string::npos && st.find(starts) != std::string::npos;
    })) << h.source().checkpoint_state();
    state = h.source().checkpoint_state();
    EXPECT_EQ(h.counts(), (std::array<uint64_t, 3>{12, 0, 0}));
  }  // Stopped ("killed") with S2 in progress: it was not handed over.
  append(" c\nS3\n");
  FileSourceHarness h(config(), /*once=*/true, state, EnvelopeFormat::kNone, ml);
  ASSERT_TRUE(h.restored_.ok());
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  EXPECT_EQ(h.wait_for(2), (std::vector<std::string>{"S2\n b\n c", "S3"}));
  h.stop();
  // Only the bytes after the checkpoint; S1 is not counted again.
  EXPECT_EQ(h.counts(), (std::array<uint64_t, 3>{6, 0, 0}));
  EXPECT_EQ(h.wait_for(0), (std::vector<std::string>{"S2\n b\n c", "S3"}));  // Nothing more.
}

// A followed file's record in progress is handed over once no line came for the timeout.
TEST_F(FileSourceTest, AMultilineRecordIsLetGoAfterItsTimeout) {
  const auto ml = start_multiline("^S", std::chrono::milliseconds(50));
  append("S1\n a\n");
  FileSourceHarness h(config(), false, "", EnvelopeFormat::kNone, ml);
  ASSERT_TRUE(h.start().ok());
  EXPECT_EQ(h.wait_for(1), (std::vector<std::string>{"S1\n a"}));
  // Handed over with nothing in progress: the state has no join start left.
  const std::string none = std::to_string(core::kNoJoin);
  ASSERT_TRUE(eventually([&] {
    return h.source().checkpoint_state().find(" " + none + " " + none + " " + none + "\n") !=
           std::string::npos;
  })) << h.source().checkpoint_state();
}

// Two files' lines never meet in one record.
TEST_F(FileSourceTest, MultilineRecordsArePerFile) {
  FileSourceConfig cfg;
  cfg.include = {(dir_ / "*.log").string()};
  cfg.poll_millis = 10;
  write_file(dir_ / "a.log", "S a1\n a2\n");
  write_file(dir_ / "b.log", "S b1\n b2\n");
  FileSourceHarness h(cfg, /*once=*/true, "", EnvelopeFormat::kNone,
                      start_multiline("^S", std::chrono::hours(1)));
  ASSERT_TRUE(h.start().ok());
  h.join_source();
  std::vector<std::string> got = h.wait_for(2);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"S a1\n a2", "S b1\n b2"}));
}

}  // namespace
}  // namespace logtally::ingest
