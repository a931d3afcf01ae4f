#include "sinks/push_loop.h"

#include <cstdlib>
#include <utility>

namespace logtally::sinks {

PushLoop::PushLoop(std::string name, std::chrono::milliseconds interval, PushFn push)
    : name_(std::move(name)), interval_(interval), push_(std::move(push)) {
  if (interval_ <= std::chrono::milliseconds(0)) interval_ = std::chrono::milliseconds(1);
}

PushLoop::~PushLoop() { stop(); }

void PushLoop::start() {
  std::lock_guard lock(mu_);
  if (started_) std::abort();  // Programming error: start() twice.
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void PushLoop::run() {
  auto next = std::chrono::steady_clock::now() + interval_;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    push_(false);
    // Keep a steady cadence, but never try to catch up on pushes missed while one was slow.
    next += interval_;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + interval_;
  }
}

void PushLoop::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bool was_started;
  {
    std::lock_guard lock(mu_);
    was_started = started_;
  }
  if (was_started) push_(true);
}

bool PushLoop::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool PushLoop::wait_for(std::chrono::milliseconds d) const {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

}  // namespace logtally::sinks
