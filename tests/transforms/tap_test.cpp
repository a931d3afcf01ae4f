// The traced pipeline loop (BatchProcessor with an open tap): the objects it writes, and that it
// counts exactly what the untraced loop counts.
#include <cstring>

#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"
#include "sinks/exposition/exposition.h"
#include "transforms/pipeline.h"

namespace logtally::transforms {
namespace {

core::BatchPtr make_batch(const std::vector<std::string>& lines, uint64_t too_long) {
  auto b = std::make_unique<core::Batch>(4096);
  for (const std::string& l : lines) {
    std::memcpy(b->data() + b->size, l.data(), l.size());
    b->spans.push_back({static_cast<uint32_t>(b->size), static_cast<uint32_t>(l.size())});
    b->size += l.size() + 1;
    b->data()[b->size - 1] = '\n';
  }
  b->bytes_read = b->size;
  b->too_long = too_long;
  b->sequence = 1;
  return b;
}

constexpr const char* kConfig = R"(
sources:
  in: { type: stdin }
pipelines:
  api:
    inputs: [in]
    parser: json
    filter: 'status != 204'
    metrics:
      - name: requests_total
        type: counter
        labels: { status: status, app: { field: k8s.app, lowercase: true } }
      - name: duration_seconds
        type: histogram
        value: ms
        scale: 0.001
        buckets: [0.01, 0.1]
      - name: depth
        type: gauge
        value: depth
)";

const std::vector<std::string> kLines = {
    R"({"status":200,"k8s":{"app":"Shop"},"ms":12,"depth":3})",
    R"({"status":204})",
    "{broken",
    R"({"status":500,"ms":"x","depth":-1.5})",
    "",
    "\"\xff\"",
};

std::string run(bool tapped, std::vector<std::string>* lines) {
  auto cfg = config::load_config_text(kConfig, "t.yaml");
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());
  core::TapHub hub;
  processor.set_tap(&hub);
  std::shared_ptr<core::TapSubscription> sub;
  if (tapped) sub = hub.subscribe("", 0, /*lossless=*/false, 100);
  auto batch = make_batch(kLines, /*too_long=*/1);
  processor.handle(0, *batch);
  if (sub) {
    hub.finish_all();
    while (sub->wait(*lines, std::chrono::milliseconds(0))) {
    }
  }
  return sinks::to_text(store);
}

TEST(TapTest, CountsExactlyWhatTheUntracedLoopCounts) {
  std::vector<std::string> lines;
  EXPECT_EQ(run(true, &lines), run(false, nullptr));
  EXPECT_EQ(lines.size(), kLines.size() + 1);
}

TEST(TapTest, OneObjectPerRecordWithFieldsOutcomeAndUpdates) {
  std::vector<std::string> lines;
  run(true, &lines);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0],
            R"({"source":"in","pipeline":"api","record":null,"fields":{},"outcome":"dropped",)"
            R"("reason":"too_long","updates":[]})");
  EXPECT_EQ(
      lines[1],
      R"({"source":"in","pipeline":"api","record":"{\"status\":200,\"k8s\":{\"app\":\"Shop\"},)"
      R"(\"ms\":12,\"depth\":3}","fields":{"status":200,"k8s.app":"Shop","ms":12,"depth":3},)"
      R"("outcome":"counted","updates":[{"metric":"requests_total","labels":{"status":"200",)"
      R"("app":"shop"},"value":1},{"metric":"duration_seconds","labels":{},"value":0.012},)"
      R"({"metric":"depth","labels":{},"value":3}]})");
  EXPECT_EQ(
      lines[2],
      R"({"source":"in","pipeline":"api","record":"{\"status\":204}","fields":{"status":204},)"
      R"("outcome":"filtered","updates":[]})");
  EXPECT_EQ(lines[3],
            R"({"source":"in","pipeline":"api","record":"{broken","fields":{},"outcome":"dropped",)"
            R"("reason":"invalid_json","updates":[]})");
  EXPECT_EQ(
      lines[4],
      R"({"source":"in","pipeline":"api","record":"{\"status\":500,\"ms\":\"x\",\"depth\":-1.5}",)"
      R"("fields":{"status":500,"ms":"x","depth":-1.5},"outcome":"counted","updates":[)"
      R"({"metric":"requests_total","labels":{"status":"500"},"value":1},)"
      R"({"metric":"depth","labels":{},"value":-1.5}],"drops":[)"
      R"({"metric":"duration_seconds","reason":"not_a_number"}]})");
  EXPECT_EQ(lines[5],
            R"({"source":"in","pipeline":"api","record":"","fields":{},"outcome":"dropped",)"
            R"("reason":"empty","updates":[]})");
  // Invalid UTF-8 becomes U+FFFD: every object is valid JSON.
  EXPECT_EQ(lines[6],
            "{\"source\":\"in\",\"pipeline\":\"api\",\"record\":\"\\\"\xef\xbf\xbd\\\"\","
            "\"fields\":{},\"outcome\":\"dropped\",\"reason\":\"not_object\",\"updates\":[]}");
}

TEST(TapTest, AnotherPipelinesTapTracesNothingHere) {
  auto cfg = config::load_config_text(kConfig, "t.yaml");
  ASSERT_TRUE(cfg.ok());
  const config::Compiled compiled = config::compile(*cfg);
  core::MetricStore store(compiled.specs, compiled.source_names, compiled.pipeline_names, 1);
  BatchProcessor processor(compiled.pipelines, store, compiled.source_names.size());
  core::TapHub hub;
  processor.set_tap(&hub);
  auto sub = hub.subscribe("other", 0, false);
  auto batch = make_batch(kLines, 0);
  processor.handle(0, *batch);
  std::vector<std::string> lines;
  EXPECT_TRUE(sub->wait(lines, std::chrono::milliseconds(0)));
  EXPECT_TRUE(lines.empty());
}

}  // namespace
}  // namespace logtally::transforms
