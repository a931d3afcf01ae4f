#include "sinks/push_loop.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace logtally::sinks {

PushLoop::PushLoop(const core::MetricStore& store, const std::vector<PushSink*>& sinks)
    : store_(store) {
  slots_.reserve(sinks.size());
  for (PushSink* sink : sinks) {
    Slot slot;
    slot.sink = sink;
    slot.interval = std::max(sink->interval(), std::chrono::milliseconds(1));
    slots_.push_back(slot);
  }
}

PushLoop::~PushLoop() { stop(); }

void PushLoop::start() {
  std::lock_guard lock(mu_);
  if (started_) std::abort();  // Programming error: start() twice.
  started_ = true;
  if (slots_.empty() || stopped_) return;
  const core::Snapshot at_start = merge();
  for (Slot& slot : slots_) slot.sink->resume_from(at_start);
  const Clock::time_point now = Clock::now();
  for (Slot& slot : slots_) slot.due = slot.anchor = now + slot.interval;
  thread_ = std::thread([this] { run(); });
}

core::Snapshot PushLoop::merge() const { return store_.read(); }

void PushLoop::run() {
  for (;;) {
    Clock::time_point next = Clock::time_point::max();
    for (const Slot& slot : slots_) next = std::min(next, slot.due);
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    const Clock::time_point tick = Clock::now();
    if (std::none_of(slots_.begin(), slots_.end(),
                     [&](const Slot& slot) { return slot.due <= tick; })) {
      continue;  // Woken early (spurious or clock granularity).
    }
    const core::Snapshot snapshot = merge();
    for (Slot& slot : slots_) {
      if (slot.due > tick) continue;
      {
        // Once stop() was asked, the final flush (with a fresher merge) replaces the rest.
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      const FlushResult result = slot.sink->flush(snapshot, false);
      const Clock::time_point now = Clock::now();
      if (result.retry_in) {
        slot.due = now + *result.retry_in;
        continue;
      }
      // A steady cadence, but never catching up on flushes missed while one was slow.
      slot.anchor += slot.interval;
      if (slot.anchor <= now) slot.anchor = now + slot.interval;
      slot.due = slot.anchor;
    }
  }
}

void PushLoop::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    if (!started_ || slots_.empty()) return;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  const core::Snapshot snapshot = merge();
  for (Slot& slot : slots_) (void)slot.sink->flush(snapshot, true);
  pushed_ = true;
}

SendCounters register_send_counters(core::SelfMetrics& self, const std::string& name) {
  constexpr std::string_view kHelp = "Pushes and flushes a sink sent, by result.";
  return {&self.counter("logtally_sink_sends_total", kHelp, {{"sink", name}, {"result", "ok"}}),
          &self.counter("logtally_sink_sends_total", kHelp, {{"sink", name}, {"result", "error"}})};
}

}  // namespace logtally::sinks
