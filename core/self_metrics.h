// SelfMetrics: logtally's own counters and gauges that are not updated per record: Kafka
// consumer lag and rebalances, sink sends and failures, checkpoint durations.
//
// Contract:
// - counter()/gauge() return a Value whose address is stable for the registry's life. Call them
//   when a component starts, or when a new label set appears (a new partition): they take a
//   lock and may allocate. Never call them per record.
// - Value::add()/set() are relaxed atomics, callable from any thread (per batch or per send,
//   not per record).
// - collect() copies every family for exposition; families come out in registration order,
//   series sorted by their label values.
// - Asking again for the same name and labels returns the same Value. A name registered as a
//   counter cannot be asked for as a gauge (that is a programming error; it aborts).
// - Checkpoints (docs/checkpoints.md): export_counters() copies every counter (gauges describe
//   the present and are not saved); restore_counters() adds saved values back. A saved value
//   whose counter is not registered yet (a sink built after the restore, a Kafka partition
//   assigned later) waits here and is added when counter() first registers it; until then it
//   is still part of export_counters(), so a checkpoint taken before it reappears keeps it.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace logtally::core {

class SelfMetrics {
 public:
  enum class Kind : uint8_t { kCounter, kGauge };
  using Labels = std::vector<std::pair<std::string, std::string>>;

  class Value {
   public:
    void add(double d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
    void set(double d) noexcept { v_.store(d, std::memory_order_relaxed); }
    double get() const noexcept { return v_.load(std::memory_order_relaxed); }

   private:
    std::atomic<double> v_{0};
  };

  Value& counter(std::string_view name, std::string_view help, Labels labels = {});
  Value& gauge(std::string_view name, std::string_view help, Labels labels = {});

  struct SeriesSample {
    Labels labels;
    double value = 0;
  };
  struct FamilySample {
    std::string name;
    std::string help;
    Kind kind = Kind::kCounter;
    std::vector<SeriesSample> series;
  };
  std::vector<FamilySample> collect() const;

  /// One counter's value by name and labels, as a checkpoint saves it.
  struct SavedCounter {
    std::string name;
    Labels labels;
    double value = 0;
  };
  /// Every registered counter's value, plus restored values still waiting for their counter.
  std::vector<SavedCounter> export_counters() const;
  /// Adds each saved value to its counter: now if it is registered, else when counter() first
  /// registers it. A name registered as a gauge takes nothing.
  void restore_counters(std::vector<SavedCounter> saved);
  /// collect(), with each counter's value as `saved` (an export_counters() result) holds it
  /// instead of its live value: what a durable checkpoint says. A counter series `saved` lacks
  /// (registered after that export) is left out; gauges keep their live value.
  std::vector<FamilySample> collect_saved(const std::vector<SavedCounter>& saved) const;

 private:
  struct Series {
    Labels labels;
    Value value;
  };
  struct Family {
    std::string name;
    std::string help;
    Kind kind;
    std::deque<Series> series;  // deque: stable addresses as series are added.
  };
  Value& get(Kind kind, std::string_view name, std::string_view help, Labels labels);

  mutable std::mutex mu_;
  std::deque<Family> families_;
  std::vector<SavedCounter> waiting_;  ///< Restored values whose counter is not registered yet.
};

}  // namespace logtally::core
