#include "core/record.h"

#include <gtest/gtest.h>

namespace logtally::core {
namespace {

TEST(FieldPathTest, SplitsOnDots) {
  auto p = parse_field_path("kubernetes.labels.app");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->segments, (std::vector<std::string>{"kubernetes", "labels", "app"}));
  EXPECT_EQ(p->to_string(), "kubernetes.labels.app");
}

TEST(FieldPathTest, QuotedSegmentKeepsDots) {
  auto p = parse_field_path("\"log.level\"");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->segments, (std::vector<std::string>{"log.level"}));
  auto q = parse_field_path("a.\"b.c\".d");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->segments, (std::vector<std::string>{"a", "b.c", "d"}));
  EXPECT_EQ(q->to_string(), "a.\"b.c\".d");
}

TEST(FieldPathTest, ErrorsNameTheColumn) {
  auto empty_segment = parse_field_path("a..b");
  ASSERT_FALSE(empty_segment.ok());
  EXPECT_NE(empty_segment.error().message.find("column 3"), std::string::npos)
      << empty_segment.error().message;
  auto unterminated = parse_field_path("a.\"b");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_NE(unterminated.error().message.find("column 3"), std::string::npos);
  EXPECT_FALSE(parse_field_path("").ok());
  EXPECT_FALSE(parse_field_path("a.").ok());
  EXPECT_FALSE(parse_field_path(".a").ok());
  EXPECT_FALSE(parse_field_path("a\"b\"").ok());
}

TEST(FieldPlanTest, SharesPrefixesAndDeduplicatesSlots) {
  FieldPlan plan;
  const uint32_t a = plan.add(*parse_field_path("k.labels.app"), kUseText);
  const uint32_t b = plan.add(*parse_field_path("k.pod"), kUseText);
  const uint32_t c = plan.add(*parse_field_path("k.labels.app"), kUseNumber);
  const uint32_t d = plan.add(*parse_field_path("status"), kUseText);
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(c, 0u);
  EXPECT_EQ(d, 2u);
  EXPECT_EQ(plan.slot_count(), 3u);
  // root -> {k, status}; k -> {labels, pod}; labels -> {app}
  ASSERT_EQ(plan.root().children.size(), 2u);
  const auto& k = plan.nodes()[plan.root().children[0]];
  EXPECT_EQ(k.key, "k");
  EXPECT_EQ(k.slot, -1);
  ASSERT_EQ(k.children.size(), 2u);
  const auto& app = plan.nodes()[plan.nodes()[k.children[0]].children[0]];
  EXPECT_EQ(app.key, "app");
  EXPECT_EQ(app.uses, kUseText | kUseNumber);
}

TEST(RecordTest, ClearMakesEverySlotAbsent) {
  Record r(3);
  r.slot(1).kind = FieldValue::Kind::kString;
  r.slot(1).text = "x";
  r.clear();
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(r.slot(i).kind, FieldValue::Kind::kAbsent);
}

}  // namespace
}  // namespace logtally::core
