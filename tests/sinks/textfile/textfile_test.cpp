// The textfile sink: exact file contents, atomic replace (a concurrent reader never sees a
// partial file; every write is a new inode), errors counted without a crash, and the whole
// binary's `--once` writing the final state.
#include "sinks/textfile/textfile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "core/metric_store.h"
#include "sinks/push_loop.h"

namespace logtally::sinks {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_dir() {
  char dir[] = "/tmp/logtally-textfile-XXXXXX";
  if (mkdtemp(dir) == nullptr) std::abort();
  return dir;
}

struct Fixture {
  Fixture() : store({spec()}, {"in"}, {"p"}, 1) {}
  static core::MetricSpec spec() {
    core::MetricSpec c;
    c.name = "hits_total";
    c.help = "Hits.";
    c.label_names = {"code"};
    return c;
  }
  void hit(std::string_view code, double n) {
    core::MetricShard& shard = store.shard(0);
    std::lock_guard lock(shard.mutex());
    core::LabelKey k;
    k.add(code);
    shard.counter_add(0, shard.series(0, k.view()), n);
    shard.count_source(0, 1, 10);
  }
  double sends(const std::string& result) {
    for (const auto& fam : store.self_metrics().collect()) {
      if (fam.name != "logtally_sink_sends_total") continue;
      for (const auto& s : fam.series) {
        if (s.labels == core::SelfMetrics::Labels{{"sink", "tf"}, {"result", result}})
          return s.value;
      }
    }
    return -1;
  }
  core::MetricStore store;
};

// The self-metrics after the user metrics, for source "in" read `records` lines of `bytes`,
// `series` series held, and `ok`/`error` writes counted before this one. `limited`: hits_total
// has a max_series (the config's default), which adds its overflow counter.
std::string self_metrics(int records, int bytes, int series, int error, int ok,
                         bool limited = false) {
  const std::string p = "logtally_records_dropped_total{pipeline=\"p\",reason=";
  return "# HELP logtally_records_total Records (lines) read, per source.\n"
         "# TYPE logtally_records_total counter\n"
         "logtally_records_total{source=\"in\"} " +
         std::to_string(records) +
         "\n"
         "# HELP logtally_bytes_total Bytes read, per source.\n"
         "# TYPE logtally_bytes_total counter\n"
         "logtally_bytes_total{source=\"in\"} " +
         std::to_string(bytes) +
         "\n"
         "# HELP logtally_records_dropped_total Records a pipeline could not use, by reason "
         "(value reasons count once per metric).\n"
         "# TYPE logtally_records_dropped_total counter\n" +
         p + "\"invalid_json\"} 0\n" + p + "\"not_object\"} 0\n" + p + "\"missing_value\"} 0\n" +
         p + "\"not_a_number\"} 0\n" + p + "\"negative_value\"} 0\n" + p + "\"too_long\"} 0\n" + p +
         "\"empty\"} 0\n" + p + "\"no_match\"} 0\n" + p +
         "\"bad_envelope\"} 0\n"
         "# HELP logtally_records_filtered_total Records a pipeline's filter removed (not "
         "errors), per pipeline.\n"
         "# TYPE logtally_records_filtered_total counter\n"
         "logtally_records_filtered_total{pipeline=\"p\"} 0\n" +
         std::string(limited ? "# HELP logtally_series_overflow_total Updates routed to a metric's "
                               "overflow series (all labels __overflow__) because the metric held "
                               "max_series series; only metrics with a limit.\n"
                               "# TYPE logtally_series_overflow_total counter\n"
                               "logtally_series_overflow_total{metric=\"hits_total\"} 0\n"
                             : "") +
         "# HELP logtally_series Series held, per metric.\n"
         "# TYPE logtally_series gauge\n"
         "logtally_series{metric=\"hits_total\"} " +
         std::to_string(series) +
         "\n"
         "# HELP logtally_build_info logtally's version; the value is always 1.\n"
         "# TYPE logtally_build_info gauge\n"
         "logtally_build_info{version=\"" LOGTALLY_VERSION
         "\"} 1\n"
         "# HELP logtally_sink_sends_total Pushes and flushes a sink sent, by result.\n"
         "# TYPE logtally_sink_sends_total counter\n"
         "logtally_sink_sends_total{sink=\"tf\",result=\"error\"} " +
         std::to_string(error) +
         "\n"
         "logtally_sink_sends_total{sink=\"tf\",result=\"ok\"} " +
         std::to_string(ok) + "\n";
}

TEST(TextfileSinkTest, WritesExactlyTheExposition) {
  const std::string dir = temp_dir();
  Fixture f;
  TextfileConfig cfg;
  cfg.path = dir + "/app.prom";
  TextfileSink sink("tf", cfg, f.store);
  ASSERT_TRUE(sink.start());
  f.hit("200", 3);
  f.hit("500", 1);
  ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
  EXPECT_EQ(read_file(cfg.path),
            "# HELP hits_total Hits.\n"
            "# TYPE hits_total counter\n"
            "hits_total{code=\"200\"} 3\n"
            "hits_total{code=\"500\"} 1\n" +
                self_metrics(2, 20, 2, 0, 0));
  struct stat st {};
  ASSERT_EQ(stat(cfg.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(f.sends("ok"), 1);
  EXPECT_EQ(f.sends("error"), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(TextfileSinkTest, AReaderNeverSeesAPartialFileAndEachWriteIsANewInode) {
  const std::string dir = temp_dir();
  Fixture f;
  TextfileConfig cfg;
  cfg.path = dir + "/app.prom";
  TextfileSink sink("tf", cfg, f.store);
  ASSERT_TRUE(sink.start());
  constexpr int kWrites = 200;
  // Every complete text the sink writes: write i holds hits_total{code="200"} i+1 and i
  // successful writes before it.
  std::set<std::string> complete;
  for (int i = 0; i < kWrites; ++i) {
    complete.insert(
        "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{code=\"200\"} " +
        std::to_string(i + 1) + "\n" + self_metrics(i + 1, 10 * (i + 1), 1, 0, i));
  }
  f.hit("200", 1);
  ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> partial{0};
  std::string bad;
  std::thread reader([&] {
    while (!done.load()) {
      const std::string text = read_file(cfg.path);
      if (complete.count(text) == 0) {
        if (partial.fetch_add(1) == 0) bad = text;
      }
      reads.fetch_add(1);
    }
  });
  // Writes start once the reader is reading (deadline: 10 s).
  const auto started = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reads.load() == 0 && std::chrono::steady_clock::now() < started) {
    std::this_thread::yield();
  }
  ASSERT_GT(reads.load(), 0);
  struct stat before {};
  ASSERT_EQ(stat(cfg.path.c_str(), &before), 0);
  std::set<ino_t> inodes = {before.st_ino};
  for (int i = 1; i < kWrites; ++i) {
    f.hit("200", 1);
    ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
    struct stat st {};
    ASSERT_EQ(stat(cfg.path.c_str(), &st), 0);
    inodes.insert(st.st_ino);
  }
  // The reader must have read while writes ran; wait for a few more reads, with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const int target = reads.load() + 3;
  while (reads.load() < target && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  done = true;
  reader.join();
  EXPECT_GE(reads.load(), 3);
  EXPECT_EQ(partial.load(), 0) << "a reader saw: " << bad;
  // A file system may reuse a freed inode number, but not every write can land on one.
  EXPECT_GE(inodes.size(), 2u);
  EXPECT_EQ(read_file(cfg.path),
            "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{code=\"200\"} " +
                std::to_string(kWrites) + "\n" +
                self_metrics(kWrites, 10 * kWrites, 1, 0, kWrites - 1));
  EXPECT_EQ(f.sends("ok"), kWrites);
  // No temporary file is left behind.
  EXPECT_EQ(std::system(("test \"$(ls -A " + dir + ")\" = app.prom").c_str()), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(TextfileSinkTest, EachWriteReplacesTheInode) {
  const std::string dir = temp_dir();
  Fixture f;
  TextfileConfig cfg;
  cfg.path = dir + "/app.prom";
  TextfileSink sink("tf", cfg, f.store);
  ASSERT_TRUE(sink.start());
  ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
  struct stat first {};
  ASSERT_EQ(stat(cfg.path.c_str(), &first), 0);
  // Hold the first file open so its inode cannot be reused by the next write.
  std::ifstream hold(cfg.path);
  ASSERT_TRUE(sink.flush(f.store.snapshot(), false).ok);
  struct stat second {};
  ASSERT_EQ(stat(cfg.path.c_str(), &second), 0);
  EXPECT_NE(first.st_ino, second.st_ino);
  std::system(("rm -rf " + dir).c_str());
}

TEST(TextfileSinkTest, ErrorsAreCountedNeverFatal) {
  const std::string dir = temp_dir();
  Fixture f;
  TextfileConfig missing;
  missing.path = dir + "/no-such-dir/app.prom";
  TextfileSink a("tf", missing, f.store);
  ASSERT_TRUE(a.start());
  EXPECT_FALSE(a.flush(f.store.snapshot(), false).ok);
  EXPECT_FALSE(a.flush(f.store.snapshot(), true).ok);
  EXPECT_EQ(f.sends("error"), 2);
  EXPECT_EQ(f.sends("ok"), 0);
  // `path` is a directory: the rename fails (for root too); the temporary file is removed.
  ASSERT_EQ(mkdir((dir + "/is-a-dir").c_str(), 0755), 0);
  Fixture g;
  TextfileConfig is_dir;
  is_dir.path = dir + "/is-a-dir";
  TextfileSink b("tf", is_dir, g.store);
  ASSERT_TRUE(b.start());
  EXPECT_FALSE(b.flush(g.store.snapshot(), false).ok);
  EXPECT_EQ(g.sends("error"), 1);
  EXPECT_EQ(std::system(("test \"$(ls -A " + dir + ")\" = is-a-dir").c_str()), 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST(TextfileSinkTest, PushLoopWritesTheFinalStateAtStop) {
  const std::string dir = temp_dir();
  Fixture f;
  TextfileConfig cfg;
  cfg.path = dir + "/app.prom";
  cfg.interval = std::chrono::hours(1);
  TextfileSink sink("tf", cfg, f.store);
  ASSERT_TRUE(sink.start());
  PushLoop loop(f.store, {&sink});
  loop.start();
  f.hit("404", 2);
  loop.stop();
  sink.stop();
  EXPECT_EQ(read_file(cfg.path),
            "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{code=\"404\"} 2\n" +
                self_metrics(1, 10, 1, 0, 0));
  std::system(("rm -rf " + dir).c_str());
}

// The whole binary: `logtally --once` with a textfile sink writes the final state, which is
// also what it prints, except the sink's count of its own writes (printed after that write).
TEST(TextfileBinaryTest, OnceRunWritesTheFinalState) {
  const std::string dir = temp_dir();
  const std::string config = dir + "/c.yaml";
  std::ofstream(config) << "sources: { in: { type: stdin } }\n"
                           "pipelines:\n"
                           "  p:\n"
                           "    inputs: [in]\n"
                           "    parser: json\n"
                           "    metrics:\n"
                           "      - { name: hits_total, type: counter, help: Hits., labels: { "
                           "code: status } }\n"
                           "sinks:\n"
                           "  tf: { type: textfile, path: "
                        << dir << "/app.prom }\n";
  std::ofstream(dir + "/in.jsonl") << R"({"status":200})"
                                      "\n"
                                      R"({"status":200})"
                                      "\n"
                                   << R"({"status":500})"
                                      "\n";
  const std::string cmd = std::string(LOGTALLY_BINARY) + " --once --config " + config + " < " +
                          dir + "/in.jsonl > " + dir + "/out.txt 2> " + dir + "/err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir + "/err.txt");
  const std::string head =
      "# HELP hits_total Hits.\n"
      "# TYPE hits_total counter\n"
      "hits_total{code=\"200\"} 2\n"
      "hits_total{code=\"500\"} 1\n";
  const std::string expected = head + self_metrics(3, 45, 2, 0, 0, /*limited=*/true);
  EXPECT_EQ(read_file(dir + "/app.prom"), expected);
  // The final write comes before the final checkpoint and the printed text (so a checkpoint
  // holds the sink's own counters); the printed text counts that write.
  EXPECT_EQ(read_file(dir + "/out.txt"), head + self_metrics(3, 45, 2, 0, 1, /*limited=*/true));
  struct stat st {};
  ASSERT_EQ(stat((dir + "/app.prom").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace logtally::sinks
