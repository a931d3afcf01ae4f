// Test files for `logtally test` (docs/testing.md): the YAML format and the series lines of its
// `expect:` and `absent:` entries.
//
// Contract:
// - load_test_file*() never throws; every problem of a file is reported at once, each line
//   `FILE:LINE:COLUMN: what is wrong` (config::Reader), a series line's error at the column of
//   the character that is wrong when the line can be found in the file's text.
// - parse_series() reads one line in the Prometheus text format (`name{label="value",...}
//   value`); label order does not matter and a label with an empty value is the same as no
//   label (as in Prometheus), so SeriesId::key() of `m{a="",b="x"}` and `m{b="x"}` are equal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/reader.h"
#include "core/result.h"

namespace logtally::cli {

/// A metric name and its labels, sorted by label name, empty values left out.
struct SeriesId {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;

  /// `name{a="x",b="y"}` (values escaped as in the text format), or `name`: the series' identity.
  std::string key() const;
};

/// One `name{labels} value` (with_value) or `name{labels}` line. On error, `error` says what is
/// wrong and `error_at` is its 0-based offset in `line`.
bool parse_series(std::string_view line, bool with_value, SeriesId& id, double& value,
                  std::string& error, size_t& error_at);

/// Parses a sample value as the text format writes it: a decimal number, `+Inf`, `-Inf`, `NaN`.
bool parse_sample_value(std::string_view text, double& value);

/// One series a test expects (or expects to be absent).
struct ExpectedSeries {
  SeriesId id;
  double value = 0;        ///< Unused for `absent`.
  std::string value_text;  ///< As written.
  config::Location at;     ///< Where the line is in the test file.
};

struct TestCase {
  std::string name;
  config::Location at;  ///< The test's entry.
  std::string source;   ///< Empty: the config's only source.
  config::Location source_at;
  std::string input;
  /// `path:` the file a file source reads the input from (its `_source.*` fields); empty:
  /// the source's own `path`.
  std::string path;
  std::vector<ExpectedSeries> expect;
  std::vector<ExpectedSeries> absent;
};

struct TestFile {
  std::string file;
  /// The config to test: `config:` resolved against the test file's folder; empty: none given.
  std::string config_path;
  config::Location config_at;
  std::vector<TestCase> tests;
};

/// The table of a test file's top level and of one test (unknown keys are errors).
const config::OptionTable& test_file_options();
const config::OptionTable& test_case_options();

core::Result<TestFile> load_test_file_text(std::string_view text, const std::string& file_name);
core::Result<TestFile> load_test_file(const std::string& path);

}  // namespace logtally::cli
