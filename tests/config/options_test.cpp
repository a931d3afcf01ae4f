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

TEST(OptionsTest, EveryTableHasDescribedKeys) {
  std::vector<const OptionTable*> tables;
  for (const OptionTable& t : option_tables()) tables.push_back(&t);
  for (const SinkEntry& e : registry().sinks()) {
    ASSERT_FALSE(e.tables.empty()) << e.type;
    tables.insert(tables.end(), e.tables.begin(), e.tables.end());
  }
  for (const OptionTable* table : tables) {
    const OptionTable& t = *table;
    EXPECT_FALSE(t.options.empty()) << t.section;
    for (const Option& o : t.options) {
      EXPECT_FALSE(o.description.empty()) << t.section << "." << o.key;
      EXPECT_FALSE(o.type.empty()) << t.section << "." << o.key;
    }
  }
  EXPECT_NE(option_table("metric").find("buckets"), nullptr);
  EXPECT_EQ(option_table("metric").find("bucket"), nullptr);
}

}  // namespace
}  // namespace logtally::config
