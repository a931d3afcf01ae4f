#include "core/tap.h"

#include <algorithm>

namespace logtally::core {

TapSubscription::TapSubscription(std::string pipeline, uint64_t limit, bool lossless,
                                 size_t max_queued)
    : pipeline_(std::move(pipeline)),
      limit_(limit),
      lossless_(lossless),
      max_queued_(std::max<size_t>(max_queued, 1)) {}

bool TapSubscription::offer(std::string line) {
  std::unique_lock lock(mu_);
  auto done = [&] { return closed_ || finished_ || (limit_ > 0 && offered_ >= limit_); };
  if (lossless_) {
    writable_.wait(lock, [&] { return done() || queue_.size() < max_queued_; });
  }
  if (done()) return false;
  ++offered_;
  if (queue_.size() >= max_queued_) {
    ++lost_;
  } else {
    queue_.push_back(std::move(line));
  }
  readable_.notify_one();
  return !done();
}

void TapSubscription::finish() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  readable_.notify_all();
  writable_.notify_all();
}

bool TapSubscription::wait(std::vector<std::string>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto over = [&] { return closed_ || finished_ || (limit_ > 0 && offered_ >= limit_); };
  readable_.wait_for(lock, timeout, [&] { return !queue_.empty() || over(); });
  const bool had = !queue_.empty();
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  writable_.notify_all();
  return had || !over();
}

void TapSubscription::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    queue_.clear();
  }
  readable_.notify_all();
  writable_.notify_all();
}

bool TapSubscription::ended() const {
  std::lock_guard lock(mu_);
  return closed_ || finished_ || (limit_ > 0 && offered_ >= limit_);
}

uint64_t TapSubscription::lost() const {
  std::lock_guard lock(mu_);
  return lost_;
}

std::shared_ptr<TapSubscription> TapHub::subscribe(std::string pipeline, uint64_t limit,
                                                   bool lossless, size_t max_queued) {
  auto sub = std::make_shared<TapSubscription>(std::move(pipeline), limit, lossless, max_queued);
  std::lock_guard lock(mu_);
  subs_.push_back(sub);
  update_active();
  return sub;
}

void TapHub::unsubscribe(const std::shared_ptr<TapSubscription>& sub) {
  std::lock_guard lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
  update_active();
}

void TapHub::interested(std::string_view pipeline,
                        std::vector<std::shared_ptr<TapSubscription>>& out) {
  out.clear();
  std::lock_guard lock(mu_);
  const size_t before = subs_.size();
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](const auto& s) { return s->ended(); }),
              subs_.end());
  if (subs_.size() != before) update_active();
  for (const auto& s : subs_) {
    if (s->wants(pipeline)) out.push_back(s);
  }
}

void TapHub::finish_all() {
  std::vector<std::shared_ptr<TapSubscription>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(subs_);
    update_active();
  }
  for (const auto& s : all) s->finish();
}

void TapHub::update_active() { active_.store(!subs_.empty(), std::memory_order_relaxed); }

}  // namespace logtally::core
