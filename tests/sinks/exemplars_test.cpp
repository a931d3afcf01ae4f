// Exemplars end to end inside one process (docs/exemplars.md): config -> pipeline -> shard slots
// -> merge -> OpenMetrics scrape body and remote_write request, with exact values.
#include <cstring>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkpoint/checkpoint_file.h"
#include "config/build.h"
#include "config/config.h"
#include "remote_write.pb.h"
#include "sinks/exposition/scrape_body.h"
#include "sinks/remote_write/encoder.h"
#include "transforms/pipeline.h"

namespace logtally::sinks {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kConfig = R"(
sources: { in: { type: stdin } }
pipelines:
  http:
    inputs: [in]
    parser: json
    timestamp: { field: ts, format: unix_ms }
    metrics:
      - name: requests_total
        type: counter
        help: Requests.
        labels: { route: route }
        exemplar: { trace_id: trace, span_id: span }
      - name: latency_seconds
        type: histogram
        help: Latency.
        value: ms
        scale: 0.001
        buckets: [0.1, 1]
        exemplar: { trace_id: trace }
workers: 2
)";

core::BatchPtr make_batch(const std::vector<std::string>& lines, uint64_t sequence) {
  auto b = std::make_unique<core::Batch>(8192);
  for (const std::string& l : lines) {
    std::memcpy(b->data() + b->size, l.data(), l.size());
    b->spans.push_back({static_cast<uint32_t>(b->size), static_cast<uint32_t>(l.size())});
    b->size += l.size() + 1;
    b->data()[b->size - 1] = '\n';
  }
  b->source = 0;
  b->bytes_read = b->size;
  b->sequence = sequence;
  return b;
}

class ExemplarsTest : public ::testing::Test {
 protected:
  ExemplarsTest()
      : cfg_(config::load_config_text(kConfig, "ex.yaml")),
        compiled_(config::compile(cfg_.value())),
        store_(compiled_.specs, compiled_.source_names, compiled_.pipeline_names, 2),
        processor_(compiled_.pipelines, store_, 1) {
    store_.set_created_unix_ms(1700000000000);
  }
  void handle(size_t worker, const std::vector<std::string>& lines) {
    processor_.handle(worker, *make_batch(lines, ++sequence_));
  }
  // The user metrics of an OpenMetrics scrape (everything before logtally's own families).
  std::string user_openmetrics() {
    const std::string body = scrape_body(*store_.read_view(), ExpositionFormat::kOpenMetrics100);
    return body.substr(0, body.find("# TYPE logtally_"));
  }
  core::Result<config::Config> cfg_;
  config::Compiled compiled_;
  core::MetricStore store_;
  transforms::BatchProcessor processor_;
  uint64_t sequence_ = 0;
};

const std::string kLong(121, 'x');  // trace_id (8) + 121 = 129 characters: not kept
const std::string kMax(120, 'y');   // trace_id (8) + 120 = 128 characters: kept

std::vector<std::string> records() {
  return {
      R"({"ts":1700000000000,"route":"/a","trace":"t1","span":"s1","ms":50})",
      R"({"ts":1700000001000,"route":"/a","trace":"t2","ms":500})",
      R"({"ts":1700000002000,"route":"/a","trace":"t3","span":"s3","ms":5000})",
      R"({"ts":1700000003500,"route":"/a","trace":"t4","span":"s4","ms":70})",
      R"({"ts":1700000004000,"route":"/a","ms":80})",  // no trace: the slots keep t4
      R"({"ts":1700000005000,"route":"/b","trace":")" + kLong + R"(","ms":10})",
      R"({"ts":1700000006000,"route":"/c","trace":")" + kMax + R"(","ms":2000})",
  };
}

TEST_F(ExemplarsTest, OpenMetricsShowsTheLatestExemplarOfEachSeriesAndBucket) {
  handle(0, records());
  const std::string want =
      "# TYPE requests counter\n"
      "# HELP requests Requests.\n"
      "requests_total{route=\"/a\"} 5 # {trace_id=\"t4\",span_id=\"s4\"} 1 1700000003.5\n"
      "requests_created{route=\"/a\"} 1.7e+09\n"
      "requests_total{route=\"/b\"} 1\n"
      "requests_created{route=\"/b\"} 1.7e+09\n"
      "requests_total{route=\"/c\"} 1 # {trace_id=\"" +
      kMax +
      "\"} 1 1700000006\n"
      "requests_created{route=\"/c\"} 1.7e+09\n"
      "# TYPE latency_seconds histogram\n"
      "# HELP latency_seconds Latency.\n"
      "latency_seconds_bucket{le=\"0.1\"} 4 # {trace_id=\"t4\"} 0.07 1700000003.5\n"
      "latency_seconds_bucket{le=\"1\"} 5 # {trace_id=\"t2\"} 0.5 1700000001\n"
      "latency_seconds_bucket{le=\"+Inf\"} 7 # {trace_id=\"" +
      kMax +
      "\"} 2 1700000006\n"
      "latency_seconds_count 7\n"
      "latency_seconds_sum 7.71\n"
      "latency_seconds_created 1.7e+09\n";
  EXPECT_EQ(user_openmetrics(), want);

  const std::string body = scrape_body(*store_.read_view(), ExpositionFormat::kOpenMetrics100);
  EXPECT_THAT(body, HasSubstr("# TYPE logtally_exemplars_dropped counter\n"));
  EXPECT_THAT(body, HasSubstr("logtally_exemplars_dropped_total{metric=\"requests_total\","
                              "reason=\"too_long\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("logtally_exemplars_dropped_total{metric=\"latency_seconds\","
                              "reason=\"too_long\"} 1\n"));
  EXPECT_THAT(body, HasSubstr("logtally_exemplars_dropped_total{metric=\"latency_seconds\","
                              "reason=\"invalid_utf8\"} 0\n"));
}

TEST_F(ExemplarsTest, TheTextFormatCarriesNone) {
  handle(0, records());
  const std::string text = scrape_body(*store_.read_view(), ExpositionFormat::kText004);
  EXPECT_THAT(text, HasSubstr("requests_total{route=\"/a\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 4\n"));
  EXPECT_THAT(text, Not(HasSubstr(" # {")));
  EXPECT_THAT(text, Not(HasSubstr("t4")));
}

// The JSON parser hands over valid UTF-8 (it repairs strings); other parsers may not: a value
// with invalid bytes is not kept, and counted. Also: no field at all leaves the slot alone, and
// a label set of exactly 128 characters is kept while 129 is not.
TEST(RecordExemplarTest, InvalidUtf8AndTheLimitAreCountedAndLeaveTheSlot) {
  core::MetricSpec spec;
  spec.name = "a_total";
  spec.exemplar_labels = {"trace_id", "span_id"};
  core::MetricStore store({spec}, {"in"}, {"p"}, 1);
  core::MetricShard& shard = store.shard(0);
  transforms::MetricRule rule;
  rule.exemplar = {{0, 8}, {1, 7}};
  core::Record record(2);
  auto set = [&](uint32_t slot, std::string_view text) {
    record.slot(slot).kind = core::FieldValue::Kind::kString;
    record.slot(slot).text = text;
  };
  core::Exemplar& slot = shard.exemplar(0, shard.series(0, ""), 0);
  set(0, "ok");
  set(1, "s");
  transforms::record_exemplar(rule, record, 2, 1000, shard, slot);
  ASSERT_TRUE(slot.set);
  EXPECT_EQ(slot.size, 5u);  // [2]"ok" [1]"s"
  EXPECT_EQ(slot.value, 2);
  EXPECT_EQ(slot.unix_ms, 1000);

  const std::string bad = "bad\xff";
  set(0, bad);
  transforms::record_exemplar(rule, record, 3, 2000, shard, slot);
  const std::string long_trace(128 - 8 - 7 - 1 + 1, 't');  // 8 + 113 + 7 + 1 = 129
  set(0, long_trace);
  transforms::record_exemplar(rule, record, 4, 3000, shard, slot);
  record.clear();
  transforms::record_exemplar(rule, record, 5, 4000, shard, slot);  // no field: nothing
  EXPECT_EQ(slot.unix_ms, 1000);                                    // still the first one
  EXPECT_EQ(slot.value, 2);

  const std::string max_trace(128 - 8 - 7 - 1, 'm');  // 8 + 112 + 7 + 1 = 128
  set(0, max_trace);
  set(1, "s");
  transforms::record_exemplar(rule, record, 6, 5000, shard, slot);
  EXPECT_EQ(slot.unix_ms, 5000);
  EXPECT_EQ(slot.size, 1 + 112 + 1 + 1);
  std::vector<std::string> values;
  slot.for_each_value([&](size_t, std::string_view v) { values.emplace_back(v); });
  EXPECT_EQ(values, (std::vector<std::string>{max_trace, "s"}));

  // An absent span leaves its name out of the count: 8 + 120 = 128 is kept.
  record.clear();
  const std::string alone(120, 'a');
  set(0, alone);
  transforms::record_exemplar(rule, record, 7, 6000, shard, slot);
  EXPECT_EQ(slot.unix_ms, 6000);
  EXPECT_EQ(slot.size, 1 + 120 + 1);

  const core::Snapshot s = store.snapshot();
  EXPECT_EQ(s.exemplars_dropped, (std::vector<uint64_t>{1, 1}));  // too_long, invalid_utf8
}

// Each shard keeps its own latest; the merge keeps the one with the latest time, whichever
// shard holds it.
TEST_F(ExemplarsTest, MergingShardsKeepsTheLatestByTime) {
  handle(1, {R"({"ts":1700000009000,"route":"/a","trace":"late","ms":20})"});
  handle(0, {R"({"ts":1700000001000,"route":"/a","trace":"early","ms":30})",
             R"({"ts":1700000002000,"route":"/a","trace":"inf0","ms":3000})"});
  handle(1, {R"({"ts":1700000001500,"route":"/a","trace":"inf1","ms":4000})"});
  const std::string om = user_openmetrics();
  EXPECT_THAT(om, HasSubstr("requests_total{route=\"/a\"} 4 # {trace_id=\"late\"} 1 "
                            "1700000009\n"));
  EXPECT_THAT(om, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 2 # {trace_id=\"late\"} 0.02 "
                            "1700000009\n"));
  EXPECT_THAT(om, HasSubstr("latency_seconds_bucket{le=\"1\"} 2\n"));  // none fell there
  EXPECT_THAT(om, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"inf0\"} 3 "
                            "1700000002\n"));
}

// A record that arrives late (an earlier event time) leaves a later exemplar in place.
TEST_F(ExemplarsTest, AnOlderRecordLeavesALaterExemplar) {
  handle(0, {R"({"ts":1700000005000,"route":"/a","trace":"new","ms":20})",
             R"({"ts":1700000001000,"route":"/a","trace":"old","ms":30})",
             R"({"ts":1700000005000,"route":"/a","trace":"tie","ms":2000})",
             R"({"ts":1700000004000,"route":"/a","trace":"old2","ms":3000})"});
  const std::string om = user_openmetrics();
  EXPECT_THAT(om, HasSubstr("requests_total{route=\"/a\"} 4 # {trace_id=\"tie\"} 1 "
                            "1700000005\n"));
  EXPECT_THAT(om, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 2 # {trace_id=\"new\"} 0.02 "
                            "1700000005\n"));
  EXPECT_THAT(om, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"tie\"} 2 "
                            "1700000005\n"));
}

using Labels = std::map<std::string, std::string>;

Labels labels_of(const google::protobuf::RepeatedPtrField<prompb::Label>& labels) {
  Labels out;
  for (const prompb::Label& l : labels) out[l.name()] = l.value();
  return out;
}

const prompb::TimeSeries* find(const prompb::WriteRequest& req, const Labels& want) {
  for (const prompb::TimeSeries& ts : req.timeseries()) {
    if (labels_of(ts.labels()) == want) return &ts;
  }
  return nullptr;
}

TEST_F(ExemplarsTest, RemoteWriteSendsEachExemplarWithItsSample) {
  handle(0, records());
  const std::string raw =
      encode_write_request(store_, store_.snapshot(), RemoteWriteEncodeOptions{}, 1700000100000);
  prompb::WriteRequest req;
  ASSERT_TRUE(req.ParseFromString(raw));
  size_t total = 0;
  for (const prompb::TimeSeries& ts : req.timeseries()) total += ts.exemplars_size();
  EXPECT_EQ(total, 5u);  // requests_total /a and /c, three buckets

  const prompb::TimeSeries* a = find(req, {{"__name__", "requests_total"}, {"route", "/a"}});
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->samples_size(), 1);
  EXPECT_EQ(a->samples(0).value(), 5);
  ASSERT_EQ(a->exemplars_size(), 1);
  EXPECT_EQ(labels_of(a->exemplars(0).labels()), (Labels{{"trace_id", "t4"}, {"span_id", "s4"}}));
  EXPECT_EQ(a->exemplars(0).labels(0).name(), "trace_id");  // in the config's order
  EXPECT_EQ(a->exemplars(0).value(), 1);
  EXPECT_EQ(a->exemplars(0).timestamp(), 1700000003500);

  const prompb::TimeSeries* b = find(req, {{"__name__", "requests_total"}, {"route", "/b"}});
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->exemplars_size(), 0);

  struct Want {
    const char* le;
    double count;
    std::string trace;
    double value;
    int64_t ms;
  };
  for (const Want& w :
       {Want{"0.1", 4, "t4", 0.07, 1700000003500}, Want{"1", 5, "t2", 0.5, 1700000001000},
        Want{"+Inf", 7, kMax, 2, 1700000006000}}) {
    const prompb::TimeSeries* ts =
        find(req, {{"__name__", "latency_seconds_bucket"}, {"le", w.le}});
    ASSERT_NE(ts, nullptr) << w.le;
    EXPECT_EQ(ts->samples(0).value(), w.count) << w.le;
    EXPECT_EQ(ts->samples(0).timestamp(), 1700000100000) << w.le;
    ASSERT_EQ(ts->exemplars_size(), 1) << w.le;
    EXPECT_EQ(labels_of(ts->exemplars(0).labels()), (Labels{{"trace_id", w.trace}})) << w.le;
    EXPECT_EQ(ts->exemplars(0).value(), w.value) << w.le;
    EXPECT_EQ(ts->exemplars(0).timestamp(), w.ms) << w.le;
  }
  for (const char* name : {"latency_seconds_sum", "latency_seconds_count"}) {
    const prompb::TimeSeries* ts = find(req, {{"__name__", name}});
    ASSERT_NE(ts, nullptr);
    EXPECT_EQ(ts->exemplars_size(), 0) << name;
  }
}

// Checkpoints do not save exemplars; a checkpoint written from a store holding some reads back
// and restores its values with no exemplar.
TEST_F(ExemplarsTest, ACheckpointRoundTripKeepsValuesAndDropsExemplars) {
  handle(0, records());
  checkpoint::CheckpointData data;
  data.id = 1;
  data.fingerprint = checkpoint::config_fingerprint(compiled_.specs);
  data.store = store_.export_state();
  ASSERT_EQ(data.store.exemplars.size(), 2u);
  EXPECT_EQ(data.store.exemplars[1].size(), 3u);  // one series, three buckets
  data.source_names = compiled_.source_names;
  data.pipeline_names = compiled_.pipeline_names;
  const checkpoint::ReadResult read =
      checkpoint::decode_checkpoint(checkpoint::encode_checkpoint(data), data.fingerprint);
  ASSERT_EQ(read.error, checkpoint::CheckpointError::kNone) << read.message;

  core::MetricStore restored(compiled_.specs, compiled_.source_names, compiled_.pipeline_names, 2);
  restored.import_state(read.data.store);
  restored.set_created_unix_ms(1700000000000);
  const std::string body = scrape_body(*restored.read_view(), ExpositionFormat::kOpenMetrics100);
  EXPECT_THAT(body, HasSubstr("requests_total{route=\"/a\"} 5\n"));
  EXPECT_THAT(body, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 7\n"));
  EXPECT_THAT(body, Not(HasSubstr(" # {")));

  // Published (what readers see with checkpoints on): the export's exemplars are shown; a
  // restored state without them shows none.
  store_.publish(store_.export_state(), {});
  EXPECT_THAT(user_openmetrics(),
              HasSubstr("latency_seconds_bucket{le=\"1\"} 5 # {trace_id=\"t2\"} 0.5 1700000001\n"));
  store_.publish(read.data.store, {});
  EXPECT_THAT(user_openmetrics(), Not(HasSubstr(" # {")));
}

}  // namespace
}  // namespace logtally::sinks
