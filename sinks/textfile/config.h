// `type: textfile`: its validated config (the SinkSpec that builds the TextfileSink,
// sinks/textfile/textfile.h), its option table and loader (config.cpp), registered by
// textfile_sink_entry().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "config/component.h"
#include "sinks/sink.h"

namespace logtally::sinks {

struct TextfileConfig final : SinkSpec {
  std::string path;  ///< The .prom file node_exporter's textfile collector reads.
  std::chrono::milliseconds interval{15000};
  mode_t mode = 0644;  ///< Permissions of the file (node_exporter often runs as another user).

  std::string describe() const override;
  std::unique_ptr<Sink> build(const std::string& name,
                              const core::MetricStore& store) const override;
};

config::SinkEntry textfile_sink_entry();

}  // namespace logtally::sinks
