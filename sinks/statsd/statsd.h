// StatsD / DogStatsD: sends the user metrics as StatsD lines over UDP or a unix datagram socket,
// every `interval` and once more at stop().
//
// What each metric becomes (docs/sinks.md says why):
// - counter: `name:DELTA|c`, the increase since the last flush (the first flush sends the whole
//   value counted since start, or with checkpoints since the restored state, which the
//   previous run is taken to have sent; a series that went down, e.g. expired and re-created,
//   sends its whole new value).
//   Series whose delta is zero are not sent.
// - gauge: `name:VALUE|g`, every flush. A negative value is preceded by `name:0|g`, since a
//   leading '-' alone means "decrement" to StatsD servers.
// - histogram: bucket counters, as deltas like counters: `name_bucket:DELTA|c` per cumulative
//   bucket with an `le` label, `name_count:DELTA|c` and `name_sum:DELTA|c`. logtally keeps
//   bucket counts, not observations, so these are exact where timing samples would be invented.
// Labels: DogStatsD tags (`|#label:value,...`) with `dialect: dogstatsd`; with plain `statsd`
// they are appended to the name as `.label.value` pairs. Characters StatsD reserves
// (`:|@#,` and newlines) in names and values become `_`.
// Lines are packed into datagrams of at most `mtu` bytes (a single longer line goes alone).
//
// Contract: a PushSink; flushes run on the PushLoop's thread with the snapshot it merged; sends
// never block (MSG_DONTWAIT): a full socket buffer drops the datagram and counts it in
// logtally_sink_sends_total{sink,result="error"}.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sinks/sink.h"
#include "sinks/statsd/config.h"

namespace logtally::sinks {

/// Builds the StatsD lines of successive flushes; keeps the last flushed cumulative value per
/// counter and histogram series. Not thread-safe: used by one flushing thread.
class StatsdEncoder {
 public:
  explicit StatsdEncoder(const StatsdConfig& config) : config_(config) {}
  /// The lines for this snapshot (each without a trailing newline), in snapshot order; a
  /// negative gauge yields its two lines together as one element.
  std::vector<std::string> encode(const core::Snapshot& snapshot);
  /// Takes `snapshot` as already sent: the next encode() sends only what grew since.
  void resume_from(const core::Snapshot& snapshot) { (void)encode(snapshot); }
  /// Packs lines into datagram payloads of at most `mtu` bytes, joined by '\n'.
  static std::vector<std::string> pack(const std::vector<std::string>& lines, size_t mtu);

 private:
  double delta(const std::string& key, double cumulative);
  const StatsdConfig& config_;
  std::unordered_map<std::string, double> last_;
};

class StatsdSink final : public PushSink {
 public:
  StatsdSink(std::string name, StatsdConfig config, const core::MetricStore& store);
  ~StatsdSink() override;
  [[nodiscard]] core::Status start() override;
  /// Closes the socket.
  void stop() override;
  std::string describe() const override;
  std::chrono::milliseconds interval() const override { return config_.interval; }
  /// Encodes `snapshot` and sends it; ok when every datagram went out. Never asks for a retry.
  FlushResult flush(const core::Snapshot& snapshot, bool final) override;
  /// With checkpoints: the restored state counts as sent (a restart must not send it again).
  void resume_from(const core::Snapshot& snapshot) override { encoder_.resume_from(snapshot); }

 private:
  bool send_datagram(const std::string& payload);
  bool resolve();

  std::string name_;
  StatsdConfig config_;
  const core::MetricStore& store_;
  StatsdEncoder encoder_;
  int fd_ = -1;
  std::vector<unsigned char> addr_;  ///< sockaddr bytes of the target.
  SendCounters sent_;
};

}  // namespace logtally::sinks
