// PushLoop: one thread that calls a push function every `interval`, and once more at stop(), so a
// pushing sink (remote_write, Pushgateway, StatsD) sends its final state at exit (`--once`).
//
// Contract:
// - start() starts the thread; the first push happens one `interval` after start (not at once:
//   at start nothing has been counted yet). Calling start() twice is a programming error.
// - stop() wakes the thread, waits for a push in progress to return, then calls `push` one last
//   time with `final == true` on the thread that called stop(), and joins. It is idempotent and
//   is also called by the destructor. Pushes never overlap.
// - The push function is told, through `stopping()`, that shutdown was asked for, so a push
//   that is retrying with backoff can give up early; a retry wait should use wait_for() so it
//   ends at once when stop() is called. The final push runs after stopping() became true: it
//   should still try once, but not wait out a long backoff.
// - How long a push may take is the push function's business (its own timeouts); stop() is
//   bounded by one push in progress plus the final push.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace logtally::sinks {

class PushLoop {
 public:
  /// `final` is true for the push made by stop().
  using PushFn = std::function<void(bool final)>;

  PushLoop(std::string name, std::chrono::milliseconds interval, PushFn push);
  ~PushLoop();
  PushLoop(const PushLoop&) = delete;
  PushLoop& operator=(const PushLoop&) = delete;

  void start();
  void stop();

  /// True once stop() was called. Safe from any thread.
  bool stopping() const;
  /// Sleeps up to `d`; returns early (false) when stop() is called, true when `d` passed.
  bool wait_for(std::chrono::milliseconds d) const;

  const std::string& name() const noexcept { return name_; }
  std::chrono::milliseconds interval() const noexcept { return interval_; }

 private:
  void run();

  std::string name_;
  std::chrono::milliseconds interval_;
  PushFn push_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace logtally::sinks
