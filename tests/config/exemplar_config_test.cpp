// Config of a metric's `exemplar:` (docs/exemplars.md): what it compiles to, what `check` prints,
// and every error at its file:line:column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/build.h"
#include "config/config.h"

namespace logtally::config {
namespace {

using ::testing::HasSubstr;

TEST(ExemplarConfigTest, CompilesToLabelNamesAndFieldSlots) {
  constexpr const char* kGood = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - name: requests_total
        type: counter
        exemplar: { trace_id: trace.id, span_id: span }
      - { name: latency_seconds, type: histogram, value: ms, buckets: [1], exemplar: { trace_id: trace.id } }
      - { name: plain_total, type: counter }
)";
  auto cfg = load_config_text(kGood, "good.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const Compiled compiled = compile(*cfg);
  ASSERT_EQ(compiled.specs.size(), 3u);
  EXPECT_EQ(compiled.specs[0].exemplar_labels, (std::vector<std::string>{"trace_id", "span_id"}));
  EXPECT_EQ(compiled.specs[0].exemplar_slots(), 1u);
  EXPECT_EQ(compiled.specs[1].exemplar_labels, (std::vector<std::string>{"trace_id"}));
  EXPECT_EQ(compiled.specs[1].exemplar_slots(), 2u);  // bucket 1 and +Inf
  EXPECT_EQ(compiled.specs[2].exemplar_slots(), 0u);
  const transforms::Pipeline& p = compiled.pipelines[0];
  ASSERT_EQ(p.rules[0].exemplar.size(), 2u);
  EXPECT_EQ(p.plan.path(p.rules[0].exemplar[0].slot).to_string(), "trace.id");
  EXPECT_EQ(p.rules[0].exemplar[0].name_chars, 8u);
  EXPECT_EQ(p.plan.path(p.rules[0].exemplar[1].slot).to_string(), "span");
  EXPECT_EQ(p.rules[0].exemplar[1].name_chars, 7u);
  EXPECT_EQ(p.rules[1].exemplar[0].slot, p.rules[0].exemplar[0].slot);  // one slot per field
  EXPECT_TRUE(p.rules[2].exemplar.empty());
  const std::string d = describe(*cfg, compiled);
  EXPECT_THAT(d, HasSubstr("requests_total counter value 1 per record labels {} exemplar "
                           "{trace_id=trace.id, span_id=span}\n"));
  EXPECT_THAT(d, HasSubstr("latency_seconds histogram value ms labels {} exemplar "
                           "{trace_id=trace.id} buckets [1]\n"));
}

// Columns below are counted in these raw strings; line 1 is the empty line after R"(.
constexpr const char* kBad = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: { type: regex, patterns: ['(?P<status>\d+) (?P<trace>\S+)'] }
    metrics:
      - { name: depth, type: gauge, value: status, exemplar: { trace_id: trace } }
      - { name: a_total, type: counter, exemplar: [trace] }
      - { name: b_total, type: counter, exemplar: { 9bad: trace, __x: trace } }
      - { name: c_total, type: counter, exemplar: { trace_id: span } }
      - { name: d_total, type: counter, exemplar: { trace_id: "a..b" } }
      - { name: e_total, type: counter, exemplar: {} }
)";

TEST(ExemplarConfigTest, EveryErrorWithLineAndColumn) {
  auto cfg = load_config_text(kBad, "bad.yaml");
  ASSERT_FALSE(cfg.ok());
  const std::string& m = cfg.error().message;
  EXPECT_THAT(m, HasSubstr("bad.yaml:8:62: metric 'depth': 'exemplar' applies to counters and "
                           "histograms only"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:9:51: metric 'a_total' exemplar: expected a map of label "
                           "name -> field path, like { trace_id: trace_id }"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:10:53: metric 'b_total' exemplar: invalid label name "
                           "'9bad'; expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __"));
  EXPECT_THAT(m, HasSubstr("bad.yaml:10:66: metric 'b_total' exemplar: invalid label name "
                           "'__x'; expected"));
  // The regex parser fills its named groups only: `check` refuses a field it can never fill.
  EXPECT_THAT(m, HasSubstr("bad.yaml:11:9: metric 'c_total' exemplar 'trace_id': "));
  EXPECT_THAT(m, HasSubstr("bad.yaml:12:63: metric 'd_total' exemplar trace_id: "));
  EXPECT_THAT(m, HasSubstr("bad.yaml:13:51: metric 'e_total' exemplar: expected a map"));
}

TEST(ExemplarConfigTest, LabelNamesAloneOver128CharactersAreRefused) {
  const std::string name(121, 'n');
  const std::string text = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - name: a_total
        type: counter
        exemplar: { trace_id: t, )" +
                           name + R"(: u }
)";
  auto cfg = load_config_text(text, "long.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message,
              HasSubstr("long.yaml:10:19: metric 'a_total' exemplar: the label names alone take "
                        "129 characters; an exemplar's names and values may take at most 128"));
}

TEST(ExemplarConfigTest, SharedEntriesNeedTheSameExemplarLabels) {
  constexpr const char* kShared = R"(
sources: { in: { type: stdin } }
pipelines:
  p:
    inputs: [in]
    parser: json
    metrics:
      - { name: a_total, type: counter, shared: true, exemplar: { trace_id: t } }
      - { name: a_total, type: counter, shared: true, exemplar: { span_id: t } }
)";
  auto cfg = load_config_text(kShared, "shared.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message,
              HasSubstr("shared.yaml:9:9: metric 'a_total': a shared metric needs the same "
                        "exemplar label names in the same order in every entry (first defined "
                        "at line 8)"));
}

}  // namespace
}  // namespace logtally::config
