// `logtally test [--config FILE] TESTFILE...`: unit tests for configs (docs/testing.md).
//
// Each test runs its input through the pipelines of the config, from empty state, on the
// calling thread plus one worker: no checkpoint is read or written, no sink is started, no
// source is opened (the input is read as the named source would read it: its `format:`
// envelope, its `max_record_bytes`, for a file source the `_source.*` fields of its path).
// The metrics are then compared with the test's `expect:` and `absent:` series.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli/test_file.h"
#include "config/config.h"

namespace logtally::cli {

/// The metrics one test's input makes, as `/metrics` would show them: SeriesId::key() -> the
/// value as written in the text format.
struct TestMetrics {
  std::vector<std::pair<std::string, std::string>> series;  ///< Sorted by key.
  const std::string* find(const std::string& key) const;
};

/// Runs `input` as source `source` (an index into config.sources) of `config` would read it;
/// `path` is the file name a file source reads it from (its source fields), may be empty.
/// `progress`: draw progress on stderr while a long input is read (engine/progress.h).
TestMetrics run_input(const config::Config& config, size_t source, const std::string& input,
                      const std::string& path, bool progress = false);

/// Runs every test of every file; prints `PASS name` / `FAIL name` (with each wrong series
/// under it) to `out`, errors of broken files to `err`, and the line `N passed, M failed`.
/// Returns the exit code: 0 only if every test of every file ran and passed. `progress`: see
/// run_input().
int run_test_files(const std::string& config_override, const std::vector<std::string>& files,
                   std::FILE* out, std::FILE* err, bool progress = false);

}  // namespace logtally::cli
