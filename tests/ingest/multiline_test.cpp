// MultilineJoiner and its config: exact records in both modes, real stack traces, the limits
// (cut, counted once with their reason), the end of input and the timeout (an injected clock).
#include "ingest/multiline.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <string>
#include <vector>

#include "core/self_metrics.h"
#include "ingest/line_reader.h"

namespace logtally::ingest {
namespace {

using Clock = MultilineJoiner::Clock;
using namespace std::chrono_literals;

MultilineConfig make_config(MultilineConfig::Mode mode, const std::string& pattern,
                            size_t max_lines = 500) {
  MultilineConfig c;
  c.mode = mode;
  c.pattern = pattern;
  c.regex = std::make_shared<const re2::RE2>(pattern);
  c.max_lines = max_lines;
  return c;
}

struct Out {
  std::string text;
  CutReason cut;
  uint64_t start;
  bool operator==(const Out& o) const { return text == o.text && cut == o.cut && start == o.start; }
};

std::ostream& operator<<(std::ostream& os, const Out& o) {
  return os << "{\"" << o.text << "\", cut " << static_cast<int>(o.cut) << ", start " << o.start
            << "}";
}

// Feeds `lines` as one input (offsets as if each line ended in '\n') at time `now`, then ends
// the input; returns every record with the offset of its first line.
std::vector<Out> join(const MultilineJoiner& cj, const std::vector<std::string>& lines,
                      bool end = true) {
  MultilineJoiner& j = const_cast<MultilineJoiner&>(cj);
  MultilineJoiner::Pending p;
  std::vector<Out> out;
  uint64_t offset = 0;
  const Clock::time_point now{};
  for (const std::string& line : lines) {
    if (j.ends_record(p, line)) {
      const uint64_t start = p.start;
      const MultilineJoiner::Record r = j.take(p);
      out.push_back({std::string(r.text), r.cut, start});
    }
    j.add(p, line, offset, {}, now);
    offset += line.size() + 1;
  }
  if (end && p.active) {
    const uint64_t start = p.start;
    const MultilineJoiner::Record r = j.take(p);
    out.push_back({std::string(r.text), r.cut, start});
  }
  return out;
}

const std::vector<std::string> kPlain = {"2024-05-01 one",   "  a", "  b", "2024-05-01 two",
                                         "2024-05-01 three", "  c"};

TEST(MultilineJoinerTest, StartMode) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, R"(^\d{4}-\d\d-\d\d )");
  const MultilineJoiner j(c, 1 << 20, false);
  EXPECT_EQ(join(j, kPlain), (std::vector<Out>{{"2024-05-01 one\n  a\n  b", CutReason::kNone, 0},
                                               {"2024-05-01 two", CutReason::kNone, 23},
                                               {"2024-05-01 three\n  c", CutReason::kNone, 38}}));
}

TEST(MultilineJoinerTest, ContinueMode) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kContinue, R"(^\s)");
  const MultilineJoiner j(c, 1 << 20, false);
  EXPECT_EQ(join(j, kPlain), (std::vector<Out>{{"2024-05-01 one\n  a\n  b", CutReason::kNone, 0},
                                               {"2024-05-01 two", CutReason::kNone, 23},
                                               {"2024-05-01 three\n  c", CutReason::kNone, 38}}));
}

TEST(MultilineJoinerTest, FirstLineWithoutStartStartsARecord) {
  // Input that begins in the middle of a record (a file followed from its end, a rotation):
  // those lines are a record of their own, not lost.
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^START");
  const MultilineJoiner j(c, 1 << 20, false);
  EXPECT_EQ(join(j, {"  tail 1", "  tail 2", "START x", "  y"}),
            (std::vector<Out>{{"  tail 1\n  tail 2", CutReason::kNone, 0},
                              {"START x\n  y", CutReason::kNone, 18}}));
}

TEST(MultilineJoinerTest, JavaStackTrace) {
  const std::vector<std::string> log = {
      "2024-05-01 12:00:00.123 INFO  [main] c.e.App - started",
      "2024-05-01 12:00:01.456 ERROR [http-1] c.e.Orders - order failed",
      "java.lang.IllegalStateException: stock is negative",
      "\tat com.example.Stock.take(Stock.java:42)",
      "\tat com.example.Orders.place(Orders.java:17)",
      "Caused by: java.sql.SQLException: deadlock",
      "\tat org.db.Conn.exec(Conn.java:99)",
      "\t... 2 more",
      "2024-05-01 12:00:02.000 WARN  [main] c.e.App - slow",
  };
  const MultilineConfig c =
      make_config(MultilineConfig::Mode::kStart, R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
  const MultilineJoiner j(c, 1 << 20, false);
  const std::vector<Out> got = join(j, log);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].text, log[0]);
  EXPECT_EQ(got[1].text,
            "2024-05-01 12:00:01.456 ERROR [http-1] c.e.Orders - order failed\n"
            "java.lang.IllegalStateException: stock is negative\n"
            "\tat com.example.Stock.take(Stock.java:42)\n"
            "\tat com.example.Orders.place(Orders.java:17)\n"
            "Caused by: java.sql.SQLException: deadlock\n"
            "\tat org.db.Conn.exec(Conn.java:99)\n"
            "\t... 2 more");
  EXPECT_EQ(got[1].start, log[0].size() + 1);
  EXPECT_EQ(got[2].text, log[8]);
  // The same trace in continue mode (the usual Java continuation lines).
  const MultilineConfig cc =
      make_config(MultilineConfig::Mode::kContinue,
                  R"(^(\s+at |\s+\.\.\. \d+ more|Caused by:|\w+(\.\w+)+(Exception|Error)))");
  const MultilineJoiner jc(cc, 1 << 20, false);
  const std::vector<Out> got_c = join(jc, log);
  ASSERT_EQ(got_c.size(), 3u);
  EXPECT_EQ(got_c[1].text, got[1].text);
}

TEST(MultilineJoinerTest, PythonTraceback) {
  const std::vector<std::string> log = {
      "ERROR:root:request failed",
      "Traceback (most recent call last):",
      "  File \"app.py\", line 10, in handle",
      "    pay(order)",
      "  File \"app.py\", line 4, in pay",
      "    raise ValueError(\"card declined\")",
      "ValueError: card declined",
      "INFO:root:next request",
  };
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^(ERROR|INFO|WARNING):");
  const MultilineJoiner j(c, 1 << 20, false);
  const std::vector<Out> got = join(j, log);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].text,
            "ERROR:root:request failed\n"
            "Traceback (most recent call last):\n"
            "  File \"app.py\", line 10, in handle\n"
            "    pay(order)\n"
            "  File \"app.py\", line 4, in pay\n"
            "    raise ValueError(\"card declined\")\n"
            "ValueError: card declined");
  EXPECT_EQ(got[1], (Out{"INFO:root:next request", CutReason::kNone, 208}));
}

TEST(MultilineJoinerTest, MaxLinesKeepsTheFirstLinesAndCutsOnce) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S", /*max_lines=*/3);
  const MultilineJoiner j(c, 1 << 20, false);
  EXPECT_EQ(join(j, {"S1", " a", " b", " c", " d", "S2", " e", " f"}),
            (std::vector<Out>{{"S1\n a\n b", CutReason::kMaxLines, 0},
                              {"S2\n e\n f", CutReason::kNone, 15}}));
}

TEST(MultilineJoinerTest, MaxBytesKeepsTheFirstBytes) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  const MultilineJoiner j(c, /*max_bytes=*/16, false);
  // "S1 0123456789\nab" is 16 bytes: the second line is kept up to the limit, the third dropped.
  EXPECT_EQ(join(j, {"S1 0123456789", "abcdef", "ghi", "S2", "S3 0123456789012345678"}),
            (std::vector<Out>{{"S1 0123456789\nab", CutReason::kMaxBytes, 0},
                              {"S2", CutReason::kNone, 25},
                              {"S3 0123456789012", CutReason::kMaxBytes, 28}}));
  // Exactly at the limit is whole.
  EXPECT_EQ(join(j, {"S1 0123456789", "ab"}),
            (std::vector<Out>{{"S1 0123456789\nab", CutReason::kNone, 0}}));
}

TEST(MultilineJoinerTest, FirstLimitReachedIsTheReason) {
  MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S", /*max_lines=*/2);
  const MultilineJoiner j(c, /*max_bytes=*/16, false);
  EXPECT_EQ(join(j, {"S", "a", "b 0123456789012345"}),
            (std::vector<Out>{{"S\na", CutReason::kMaxLines, 0}}));
  EXPECT_EQ(join(j, {"S 0123456789012345", "a", "b"}),
            (std::vector<Out>{{"S 01234567890123", CutReason::kMaxBytes, 0}}));
}

TEST(MultilineJoinerTest, EndOfInputHandsOutTheRecordInProgress) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  const MultilineJoiner j(c, 1 << 20, false);
  EXPECT_EQ(join(j, {"S1", " a", "S2", " b"}, /*end=*/false),
            (std::vector<Out>{{"S1\n a", CutReason::kNone, 0}}));
  EXPECT_EQ(join(j, {"S1", " a", "S2", " b"}),
            (std::vector<Out>{{"S1\n a", CutReason::kNone, 0}, {"S2\n b", CutReason::kNone, 6}}));
  EXPECT_EQ(join(j, {}), std::vector<Out>{});
}

TEST(MultilineJoinerTest, TimeoutFromTheLastLine) {
  MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  c.timeout = 1000ms;
  MultilineJoiner j(c, 1 << 20, false);
  MultilineJoiner::Pending p;
  const Clock::time_point t0 = Clock::time_point{} + 5s;
  EXPECT_FALSE(j.expired(p, t0 + 1h));
  EXPECT_EQ(j.deadline(p), Clock::time_point::max());
  j.add(p, "S1", 0, {}, t0);
  j.add(p, " a", 3, {}, t0 + 600ms);  // Each line moves the deadline.
  EXPECT_EQ(j.deadline(p), t0 + 1600ms);
  EXPECT_FALSE(j.expired(p, t0 + 1599ms));
  EXPECT_TRUE(j.expired(p, t0 + 1600ms));
  const MultilineJoiner::Record r = j.take(p);
  EXPECT_EQ(r.text, "S1\n a");
  EXPECT_FALSE(j.expired(p, t0 + 1h));
  // The next line, a continuation, starts a record of its own after a timeout.
  EXPECT_FALSE(j.ends_record(p, " b"));
  j.add(p, " b", 6, {}, t0 + 2s);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.start, 6u);
  EXPECT_EQ(j.take(p).text, " b");
}

TEST(MultilineJoinerTest, KeepsTheFirstLinesEnvelopeTime) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kContinue, "^ ");
  MultilineJoiner j(c, 1 << 20, false);
  MultilineJoiner::Pending p;
  j.add(p, "x", 0, "2024-05-01T00:00:00Z", {});
  j.add(p, " y", 10, "2024-05-01T00:00:01Z", {});
  MultilineJoiner::Record r = j.take(p);
  EXPECT_EQ(r.text, "x\n y");
  EXPECT_EQ(r.time, "2024-05-01T00:00:00Z");
  j.add(p, "z", 20, {}, {});
  r = j.take(p);
  EXPECT_EQ(r.time.data(), nullptr);
}

TEST(MultilineJoinerTest, NoAllocationOnceReserved) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  MultilineJoiner j(c, 4096, /*reserve=*/true);
  MultilineJoiner::Pending p;
  j.add(p, "S0", 0, {}, {});
  const char* buffer = p.text.data();
  const size_t capacity = p.text.capacity();
  EXPECT_GE(capacity, 4096u);
  const std::string line(100, 'x');
  for (int i = 0; i < 1000; ++i) {
    const std::string_view l = i % 7 == 0 ? std::string_view("S") : std::string_view(line);
    if (j.ends_record(p, l)) (void)j.take(p);
    j.add(p, l, 0, {}, {});
  }
  EXPECT_EQ(p.text.data(), buffer);
  EXPECT_EQ(p.text.capacity(), capacity);
}

// The loader: every key, the defaults, and each error at its line and column.
struct Loaded {
  std::shared_ptr<const MultilineConfig> config;
  std::vector<std::string> errors;
};

Loaded load(const std::string& yaml) {
  config::Reader reader("c.yaml", yaml);
  const YAML::Node n = YAML::Load(yaml);
  Loaded out;
  out.config = read_multiline(reader, n, "source 'app'");
  out.errors = reader.errors();
  return out;
}

TEST(MultilineConfigTest, DefaultsAndEveryKey) {
  Loaded l = load("multiline: {start: '^\\d'}\n");
  ASSERT_TRUE(l.config) << l.errors.front();
  EXPECT_EQ(l.config->mode, MultilineConfig::Mode::kStart);
  EXPECT_EQ(l.config->pattern, "^\\d");
  EXPECT_EQ(l.config->max_lines, 500u);
  EXPECT_EQ(l.config->max_bytes, 0u);
  EXPECT_EQ(l.config->timeout, 1000ms);
  EXPECT_EQ(l.config->describe(1 << 20),
            "multiline start \"^\\d\" (max_lines 500, max_bytes 1048576, timeout 1000ms)");

  l = load(
      "multiline:\n  continue: '^\\s'\n  max_lines: 20\n  max_bytes: 4096\n"
      "  timeout: 250ms\n");
  ASSERT_TRUE(l.config) << l.errors.front();
  EXPECT_EQ(l.config->mode, MultilineConfig::Mode::kContinue);
  EXPECT_EQ(l.config->max_lines, 20u);
  EXPECT_EQ(l.config->max_bytes, 4096u);
  EXPECT_EQ(l.config->max_bytes_at.line, 4);
  EXPECT_EQ(l.config->max_bytes_at.column, 14);
  EXPECT_EQ(l.config->timeout, 250ms);
  EXPECT_EQ(load("other: 1\n").config, nullptr);
  EXPECT_TRUE(load("other: 1\n").errors.empty());
}

TEST(MultilineConfigTest, ErrorsAtTheirPlace) {
  EXPECT_EQ(load("multiline: {start: a, continue: b}\n").errors,
            std::vector<std::string>{
                "c.yaml:1:33: source 'app' multiline: give 'start' or 'continue', not both"});
  EXPECT_EQ(load("multiline:\n  max_lines: 3\n").errors,
            std::vector<std::string>{
                "c.yaml:2:3: source 'app' multiline: expected 'start' (a line starting a "
                "record) or 'continue' (a line continuing the record before it), an RE2 regular "
                "expression"});
  EXPECT_EQ(load("multiline:\n  start: '(a'\n").errors,
            std::vector<std::string>{"c.yaml:2:10: source 'app' multiline start: invalid regular "
                                     "expression \"(a\": missing ): (a (RE2 syntax)"});
  EXPECT_EQ(
      load("multiline: {continue: ''}\n").errors,
      std::vector<std::string>{"c.yaml:1:23: source 'app' multiline continue: must not be empty"});
  Loaded l = load("multiline: {start: x, max_lines: 0, timeout: 5, colour: red}\n");
  EXPECT_EQ(l.config, nullptr);
  ASSERT_EQ(l.errors.size(), 3u);
  EXPECT_EQ(l.errors[0],
            "c.yaml:1:49: source 'app' multiline: unknown key 'colour'; expected one of: start, "
            "continue, max_lines, max_bytes, timeout");
  EXPECT_EQ(l.errors[1].substr(0, 41), "c.yaml:1:34: source 'app' multiline max_l");
  EXPECT_EQ(l.errors[2].substr(0, 44), "c.yaml:1:46: source 'app' multiline timeout:");
  EXPECT_EQ(load("multiline: yes\n").errors.size(), 1u);
}

// Through a LineReader (the file and stdin sources' path): bytes in, records out.
struct ReaderRun {
  std::vector<std::string> records;
  std::vector<std::string> streams;  ///< `_source.stream` of each record ("" when absent).
  uint64_t bytes = 0;
  uint64_t cut_lines = 0;
  uint64_t cut_bytes = 0;
  double counted_lines = 0;  ///< logtally_records_truncated_total{reason="max_lines"}.
  double counted_bytes = 0;
  std::vector<uint64_t> positions;                   ///< Each batch's position.
  std::vector<std::array<uint64_t, 3>> join_starts;  ///< Each batch's join starts.
};

class ReaderHarness {
 public:
  ReaderHarness(const MultilineConfig& ml, EnvelopeFormat format, size_t max_record = 1024)
      : channel_(1000, batch_capacity_for(max_record)),
        reader_(channel_, 3, max_record, format, &ml, TruncatedCounters::make(&self_, "app")) {
    EXPECT_EQ(::pipe(fds_), 0);
  }
  ~ReaderHarness() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    if (fds_[1] >= 0) ::close(fds_[1]);
  }
  LineReader& reader() { return reader_; }
  // Writes `text` and reads it (one read per write; small writes).
  void feed(const std::string& text) {
    ASSERT_EQ(::write(fds_[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ASSERT_EQ(reader_.read_from(fds_[0]), static_cast<ssize_t>(text.size()));
  }
  ReaderRun collect(bool finish) {
    if (finish) reader_.finish();
    channel_.close();
    while (core::BatchPtr b = channel_.pop()) {
      const size_t cols = b->fields ? b->fields->record_columns.size() : 0;
      for (size_t i = 0; i < b->record_count(); ++i) {
        out_.records.emplace_back(b->record(i));
        bool present = false;
        const std::string_view st = cols >= 2 ? b->record_field(i, cols - 2, present) : "";
        out_.streams.emplace_back(present ? st : "");
      }
      out_.bytes += b->bytes_read;
      out_.cut_lines += b->cut_max_lines;
      out_.cut_bytes += b->cut_max_bytes;
      out_.positions.push_back(b->position);
      out_.join_starts.push_back(b->join_start);
      channel_.recycle(std::move(b));
    }
    for (const auto& f : self_.collect()) {
      if (f.name != "logtally_records_truncated_total") continue;
      for (const auto& series : f.series) {
        (series.labels[1].second == "max_lines" ? out_.counted_lines : out_.counted_bytes) =
            series.value;
      }
    }
    return out_;
  }

 private:
  core::SelfMetrics self_;
  core::BatchChannel channel_;
  LineReader reader_;
  int fds_[2] = {-1, -1};
  ReaderRun out_;
};

TEST(MultilineReaderTest, JoinsLinesWithoutAnEnvelope) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  ReaderHarness h(c, EnvelopeFormat::kNone);
  h.feed("S1\n a\n b\r\nS2\n");
  h.feed(" c\nS3");  // An unterminated last line ends the input.
  const ReaderRun r = h.collect(true);
  EXPECT_EQ(r.records, (std::vector<std::string>{"S1\n a\n b", "S2\n c", "S3"}));
  EXPECT_EQ(r.streams, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(r.bytes, 18u);
  EXPECT_EQ(r.counted_lines, 0);
}

TEST(MultilineReaderTest, BatchPositionsStayAtRecordBoundaries) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  ReaderHarness h(c, EnvelopeFormat::kNone);
  h.feed("S1\n a\nS2\n");  // S1 ends when S2 comes; S2 is in progress from offset 6.
  h.feed(" b\n");          // Still S2: no record, the position moves, the start stays.
  const ReaderRun r = h.collect(false);
  EXPECT_EQ(r.records, (std::vector<std::string>{"S1\n a"}));
  ASSERT_EQ(r.positions.size(), 2u);
  EXPECT_EQ(r.positions[0], 9u);
  EXPECT_EQ(r.join_starts[0], (std::array<uint64_t, 3>{core::kNoJoin, core::kNoJoin, 6}));
  EXPECT_EQ(r.positions[1], 12u);
  EXPECT_EQ(r.join_starts[1], (std::array<uint64_t, 3>{core::kNoJoin, core::kNoJoin, 6}));
}

TEST(MultilineReaderTest, CriEnvelopeFirstThenJoinedPerStream) {
  const MultilineConfig c = make_config(MultilineConfig::Mode::kContinue, R"(^\s)");
  ReaderHarness h(c, EnvelopeFormat::kCri);
  h.feed(
      "2024-01-01T00:00:00Z stdout F Exception: boom\n"
      "2024-01-01T00:00:00Z stderr F warn 1\n"
      "2024-01-01T00:00:00Z stdout P \tat a.\n"  // A partial line: joined first.
      "2024-01-01T00:00:00Z stderr F  more\n"
      "2024-01-01T00:00:01Z stdout F b(A.java:1)\n"
      "2024-01-01T00:00:01Z stdout F next\n");
  const ReaderRun r = h.collect(true);
  EXPECT_EQ(r.records, (std::vector<std::string>{"Exception: boom\n\tat a.b(A.java:1)", "next",
                                                 "warn 1\n more"}));
  EXPECT_EQ(r.streams, (std::vector<std::string>{"stdout", "stdout", "stderr"}));
}

TEST(MultilineReaderTest, CutRecordsAreKeptAndCountedOnceWhenQueued) {
  MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S", /*max_lines=*/2);
  c.max_bytes = 8;
  ReaderHarness h(c, EnvelopeFormat::kNone);
  h.feed("S1\na\nb\nc\nS2 long line\nd\nS3\n");
  const ReaderRun r = h.collect(true);
  EXPECT_EQ(r.records, (std::vector<std::string>{"S1\na", "S2 long ", "S3"}));
  EXPECT_EQ(r.cut_lines, 1u);
  EXPECT_EQ(r.cut_bytes, 1u);
  EXPECT_EQ(r.counted_lines, 1);
  EXPECT_EQ(r.counted_bytes, 1);
}

TEST(MultilineReaderTest, ExpireHandsOverARecordAfterTheTimeout) {
  MultilineConfig c = make_config(MultilineConfig::Mode::kStart, "^S");
  c.timeout = 1000ms;
  ReaderHarness h(c, EnvelopeFormat::kNone);
  const auto before = Clock::now();
  h.feed("S1\n a\n");
  const auto after = Clock::now();
  const auto expiry = h.reader().next_expiry();
  EXPECT_GE(expiry, before + 1000ms);
  EXPECT_LE(expiry, after + 1000ms);
  h.reader().expire(expiry - 1ms);  // Not yet.
  h.reader().expire(expiry);        // Now: handed over, nothing in progress any more.
  EXPECT_EQ(h.reader().next_expiry(), Clock::time_point::max());
  h.feed(" late\n");  // A continuation after the timeout is a record of its own.
  const ReaderRun r = h.collect(true);
  EXPECT_EQ(r.records, (std::vector<std::string>{"S1\n a", " late"}));
  // The expired record's batch ends at the last line read, with nothing in progress.
  ASSERT_GE(r.positions.size(), 2u);
  EXPECT_EQ(r.positions[1], 6u);
  EXPECT_EQ(r.join_starts[1],
            (std::array<uint64_t, 3>{core::kNoJoin, core::kNoJoin, core::kNoJoin}));
}

}  // namespace
}  // namespace logtally::ingest
