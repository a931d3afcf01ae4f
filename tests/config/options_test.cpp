#include "config/options.h"

#include "config/registry.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace logtally::config {
namespace {

TEST(OptionsTest, CommittedReferenceMatchesTheTables) {
  std::ifstream in(std::string(LOGTALLY_SOURCE_DIR) + "/docs/config-reference.md");
  ASSERT_TRUE(in) << "docs/config-reference.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), config_reference_markdown())
      << "regenerate it: build/logtally config-reference > docs/config-reference.md";
}

void expect_described(const OptionTable& t) {
  EXPECT_FALSE(t.options.empty()) << t.section;
  for (const Option& o : t.options) {
    EXPECT_FALSE(o.description.empty()) << t.section << "." << o.key;
    EXPECT_FALSE(o.type.empty()) << t.section << "." << o.key;
  }
}

// A component's first table is the one its node is checked against: it must have `type`.
template <class Spec>
void expect_component_tables(const std::vector<ComponentEntry<Spec>>& entries) {
  for (const ComponentEntry<Spec>& e : entries) {
    ASSERT_FALSE(e.tables.empty()) << e.type;
    ASSERT_NE(e.load, nullptr) << e.type;
    const Option* type = e.tables.front()->find("type");
    ASSERT_NE(type, nullptr) << e.type;
    EXPECT_TRUE(type->required) << e.type;
    for (const OptionTable* t : e.tables) expect_described(*t);
  }
}

TEST(OptionsTest, EveryTableHasDescribedKeys) {
  for (const OptionTable& t : option_tables()) expect_described(t);
  expect_component_tables(registry().sources());
  expect_component_tables(registry().parsers());
  expect_component_tables(registry().sinks());
  EXPECT_NE(option_table("metric").find("buckets"), nullptr);
  EXPECT_EQ(option_table("metric").find("bucket"), nullptr);
}

}  // namespace
}  // namespace logtally::config
