// JSONTestSuite (nst/JSONTestSuite, test_parsing/) through parsers::JsonParser.
//
// Every file of $LOGTALLY_TESTDATA_DIR/jsontestsuite/test_parsing/ is fed to the parser as ONE
// record (the whole file, one trailing newline stripped, as that folder's README says), copied
// into a buffer followed by core::kPadding readable zero bytes (the parser contract).
// What is asserted (see ../shared/testdata/README.md):
// - y_*.json (95): a top-level object is kOk; a scalar or array is valid JSON but not a log
//   record, so it is kNotObject.
// - n_*.json (188): kInvalidJson, every one. Failures are collected and reported in ONE message
//   naming every file and its bytes, so the whole gap is visible at once.
// - i_*.json (35): any status, but no crash (the outcome of each is printed).
// - Deep nesting (100000 `[`) is rejected without a stack overflow.
// Each test runs in both validation modes (JsonValidate), and in full mode also with a plan that
// names no key of any file, so that nothing is read because the pipeline uses it: full must
// reject the n_ files whatever is planned.
// One parser instance reads all files in turn, the way a worker reuses its parser; a test checks
// that it gives the same answers as a fresh parser per file, and that the status does not depend
// on what the padding bytes hold (inside a batch, they are the next records).
// The same files go through the whole binary in jsontestsuite_cli.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/record.h"
#include "parsers/json_parser.h"

namespace logtally::parsers {
namespace {

namespace fs = std::filesystem;

fs::path suite_dir() { return fs::path(LOGTALLY_TESTDATA_DIR) / "jsontestsuite" / "test_parsing"; }

struct Case {
  std::string name;
  std::string bytes;  ///< The file, with one trailing '\n' stripped.
};

/// All files whose name starts with `prefix` ("y_", "n_", "i_"), sorted by name.
std::vector<Case> load_cases(const std::string& prefix) {
  std::vector<Case> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(suite_dir())) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || e.path().extension() != ".json") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!bytes.empty() && bytes.back() == '\n') bytes.pop_back();
    cases.push_back({name, std::move(bytes)});
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

/// The bytes of `c` followed by kPadding bytes of `pad` (zero by default), in a buffer of
/// exactly that size, so a read beyond the padding is a real overrun under a sanitizer.
class Padded {
 public:
  explicit Padded(const std::string& bytes, char pad = 0)
      : buf_(new char[bytes.size() + core::kPadding]), size_(bytes.size()) {
    std::memcpy(buf_.get(), bytes.data(), bytes.size());
    std::memset(buf_.get() + bytes.size(), pad, core::kPadding);
  }
  std::string_view view() const { return {buf_.get(), size_}; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t size_;
};

/// A plan with a top-level field and a nested one, as a typical pipeline has; or with one field
/// no file has.
core::FieldPlan make_plan(bool nothing_planned) {
  core::FieldPlan plan;
  if (nothing_planned) {
    plan.add(core::FieldPath{{"not in any file"}}, core::kUseText);
    return plan;
  }
  plan.add(core::FieldPath{{"a"}}, core::kUseText | core::kUseNumber);
  plan.add(core::FieldPath{{"b", "c"}}, core::kUseText);
  return plan;
}

struct Mode {
  JsonValidate validate;
  bool nothing_planned;
};

const char* status_name(ParseStatus s) {
  switch (s) {
    case ParseStatus::kOk:
      return "kOk";
    case ParseStatus::kInvalidJson:
      return "kInvalidJson";
    case ParseStatus::kNotObject:
      return "kNotObject";
    case ParseStatus::kNoMatch:
      return "kNoMatch";
  }
  return "(not a ParseStatus)";
}

/// Printable ASCII as is, anything else as \xNN; at most `limit` input bytes.
std::string escaped(std::string_view s, size_t limit = 60) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (s.size() > limit) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

/// First byte that is not JSON whitespace (space, tab, CR, LF), or 0.
char first_significant(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c;
  }
  return 0;
}

class JsonTestSuite : public ::testing::TestWithParam<Mode> {
 protected:
  ParseStatus parse(const Case& c, char pad = 0) {
    Padded buf(c.bytes, pad);
    return parser_.parse(buf.view(), record_);
  }

  core::FieldPlan plan_ = make_plan(GetParam().nothing_planned);
  JsonParser parser_{plan_, GetParam().validate};
  core::Record record_{plan_.slot_count()};
};

INSTANTIATE_TEST_SUITE_P(
    Modes, JsonTestSuite,
    ::testing::Values(Mode{JsonValidate::kFull, false}, Mode{JsonValidate::kFull, true},
                      Mode{JsonValidate::kTouched, false}),
    [](const ::testing::TestParamInfo<Mode>& info) {
      return std::string(info.param.validate == JsonValidate::kFull ? "Full" : "Touched") +
             (info.param.nothing_planned ? "NothingPlanned" : "");
    });

TEST_P(JsonTestSuite, FileCountsMatchTheReadme) {
  EXPECT_EQ(load_cases("y_").size(), 95u);
  EXPECT_EQ(load_cases("n_").size(), 188u);
  EXPECT_EQ(load_cases("i_").size(), 35u);
  // Nothing else but the data, LICENSE and README.
  size_t files = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(suite_dir())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 95u + 188u + 35u);
}

TEST_P(JsonTestSuite, EveryYFileIsAnObjectOrNotAnObject) {
  const std::vector<Case> cases = load_cases("y_");
  ASSERT_FALSE(cases.empty());
  std::string failures;
  size_t objects = 0;
  for (const Case& c : cases) {
    const bool is_object = first_significant(c.bytes) == '{';
    objects += is_object;
    const ParseStatus want = is_object ? ParseStatus::kOk : ParseStatus::kNotObject;
    const ParseStatus got = parse(c);
    if (got != want) {
      failures += "\n  " + c.name + ": got " + status_name(got) + ", want " + status_name(want) +
                  "; bytes: " + escaped(c.bytes);
    }
  }
  // 12 of the 95 are objects: exactly the y_object*.json files. Pinned so a change in the
  // classification above shows up.
  EXPECT_EQ(objects, 12u);
  EXPECT_TRUE(failures.empty()) << "y_ files with the wrong status:" << failures;
}

TEST_P(JsonTestSuite, EveryNFileIsInvalidJson) {
  const std::vector<Case> cases = load_cases("n_");
  ASSERT_FALSE(cases.empty());
  std::string failures;
  size_t failed = 0;
  for (const Case& c : cases) {
    const ParseStatus got = parse(c);
    if (got != ParseStatus::kInvalidJson) {
      ++failed;
      failures += "\n  " + c.name + ": got " + status_name(got) + "; bytes: " + escaped(c.bytes);
    }
  }
  EXPECT_EQ(failed, 0u) << failed << " of " << cases.size()
                        << " n_ files are not kInvalidJson:" << failures;
}

TEST_P(JsonTestSuite, IFilesDoNotCrash) {
  const std::vector<Case> cases = load_cases("i_");
  ASSERT_FALSE(cases.empty());
  std::map<std::string, std::vector<std::string>> by_status;
  for (const Case& c : cases) {
    const ParseStatus got = parse(c);
    ASSERT_TRUE(got == ParseStatus::kOk || got == ParseStatus::kInvalidJson ||
                got == ParseStatus::kNotObject)
        << c.name;
    by_status[status_name(got)].push_back(c.name);
  }
  // Implementation-defined: any outcome is fine. Print them so a change is easy to see.
  for (const auto& [status, names] : by_status) {
    std::cout << "[ i_ files ] " << status << " (" << names.size() << "):";
    for (const std::string& n : names) std::cout << ' ' << n;
    std::cout << '\n';
  }
}

TEST_P(JsonTestSuite, DeepNestingIsRejectedWithoutStackOverflow) {
  for (const char* name :
       {"n_structure_100000_opening_arrays.json", "n_structure_open_array_object.json"}) {
    std::vector<Case> cases = load_cases(name);
    ASSERT_EQ(cases.size(), 1u) << name;
    EXPECT_GE(cases[0].bytes.size(), 100000u) << name;
    EXPECT_EQ(parse(cases[0]), ParseStatus::kInvalidJson) << name;
  }
  std::vector<Case> nested = load_cases("i_structure_500_nested_arrays.json");
  ASSERT_EQ(nested.size(), 1u);
  (void)parse(nested[0]);  // Either outcome; it must return.

  // The same depth inside objects: under an unplanned key (skipped), under a planned key (its
  // value is not a scalar, so the slot is absent), and unclosed.
  const std::string deep_open(100000, '[');
  const std::string deep_close(100000, ']');
  const Case unplanned{"unplanned", "{\"x\":" + deep_open + deep_close + "}"};
  const Case planned{"planned", "{\"a\":" + deep_open + deep_close + "}"};
  const Case unclosed{"unclosed", "{\"a\":" + deep_open};
  const Case unclosed_skipped{"unclosed_skipped", "{\"x\":" + deep_open + "}"};
  EXPECT_EQ(parse(unclosed), ParseStatus::kInvalidJson);
  EXPECT_EQ(parse(unclosed_skipped), ParseStatus::kInvalidJson);
  const ParseStatus u = parse(unplanned);
  const ParseStatus p = parse(planned);
  std::cout << "[ deep ] 100000 nested arrays under an unplanned key: " << status_name(u)
            << ", under a planned key: " << status_name(p) << '\n';
}

TEST_P(JsonTestSuite, PlannedFieldsOfYObjects) {
  if (GetParam().nothing_planned) {
    // Nothing to fill: the objects parse, and the one slot stays absent.
    for (const Case& c : load_cases("y_object")) {
      Padded buf(c.bytes);
      EXPECT_EQ(parser_.parse(buf.view(), record_), ParseStatus::kOk) << c.name;
      EXPECT_EQ(record_.slot(0).kind, core::FieldValue::Kind::kAbsent) << c.name;
    }
    return;
  }
  // Duplicate keys: the first one wins (documented in parsers/json_parser.h and docs/json.md).
  const std::vector<Case> dup = load_cases("y_object_duplicated_key.json");
  ASSERT_EQ(dup.size(), 1u);
  Padded buf(dup[0].bytes);
  ASSERT_EQ(parser_.parse(buf.view(), record_), ParseStatus::kOk);
  EXPECT_EQ(record_.slot(0).kind, core::FieldValue::Kind::kString);
  EXPECT_EQ(record_.slot(0).text, "b");
  EXPECT_EQ(record_.slot(1).kind, core::FieldValue::Kind::kAbsent);

  // {"a":[]}: an array is not a scalar, so the slot is absent.
  const std::vector<Case> simple = load_cases("y_object_simple.json");
  ASSERT_EQ(simple.size(), 1u);
  Padded buf2(simple[0].bytes);
  ASSERT_EQ(parser_.parse(buf2.view(), record_), ParseStatus::kOk);
  EXPECT_EQ(record_.slot(0).kind, core::FieldValue::Kind::kAbsent);

  // Multi-line object, fed whole.
  const std::vector<Case> nl = load_cases("y_object_with_newlines.json");
  ASSERT_EQ(nl.size(), 1u);
  Padded buf3(nl[0].bytes);
  ASSERT_EQ(parser_.parse(buf3.view(), record_), ParseStatus::kOk);
  EXPECT_EQ(record_.slot(0).text, "b");
}

TEST_P(JsonTestSuite, SharedParserMatchesFreshParserAndPaddingContentDoesNotMatter) {
  // Inside a batch the bytes after a record are the next records, not zeros; and a worker's
  // parser reads many records in turn (including repaired and rejected ones).
  std::string failures;
  for (const char* prefix : {"y_", "n_", "i_"}) {
    for (const Case& c : load_cases(prefix)) {
      const ParseStatus shared = parse(c);
      JsonParser fresh_parser(plan_, GetParam().validate);
      core::Record fresh_record(plan_.slot_count());
      Padded buf(c.bytes);
      const ParseStatus fresh = fresh_parser.parse(buf.view(), fresh_record);
      if (fresh != shared) {
        failures += "\n  " + c.name + ": shared parser " + status_name(shared) + ", fresh " +
                    status_name(fresh);
      }
      for (char pad : {'"', '}', ']', '\n', '\\', ' ', '\xff'}) {
        const ParseStatus padded = parse(c, pad);
        if (padded != shared) {
          failures += "\n  " + c.name + ": zero padding " + status_name(shared) + ", padding " +
                      escaped(std::string(1, pad)) + " " + status_name(padded);
        }
      }
    }
  }
  EXPECT_TRUE(failures.empty()) << "status depends on parser state or padding:" << failures;
}

}  // namespace
}  // namespace logtally::parsers
