// FileSource: records from one file, read from its start or its end, and (unless --once)
// followed as it grows, like `tail -F`.
//
// This is the basic follower: it notices truncation (the size drops below the read offset:
// reading restarts at 0) and replacement by rename (the path names another file: the old one is
// read to its end first, then the new one from its start). Globs, saved positions and
// exactly-once across restarts belong to the file tailer of the ingest issue.
#pragma once

#include <sys/types.h>

#include <string>

#include "ingest/line_reader.h"
#include "ingest/source.h"

namespace logtally::ingest {

struct FileSourceConfig {
  std::string path;
  bool start_at_end = false;  ///< `start_at: end`: skip what the file holds at start.
  size_t max_record_bytes = 1 << 20;
  EnvelopeFormat format = EnvelopeFormat::kNone;  ///< Container envelope around each line.
  int poll_millis = 250;  ///< How often a followed file is checked for growth.
};

class FileSource final : public Source {
 public:
  FileSource(uint32_t index, FileSourceConfig config, SourceMode mode)
      : index_(index), config_(std::move(config)), mode_(mode) {}
  ~FileSource() override;
  [[nodiscard]] core::Status prepare() override;
  void run(core::BatchChannel& channel, const std::atomic<bool>& stop) override;
  std::string describe() const override;

 private:
  bool open_file(bool at_end);
  void close_file();

  uint32_t index_;
  FileSourceConfig config_;
  SourceMode mode_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace logtally::ingest
