#include "core/batch_channel.h"

namespace logtally::core {

BatchPtr BatchChannel::acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  free_cv_.wait(lock, [&] { return can_take(); });
  return take(lock);
}

BatchPtr BatchChannel::try_acquire_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!free_cv_.wait_for(lock, timeout, [&] { return can_take(); })) return nullptr;
  return take(lock);
}

BatchPtr BatchChannel::take(std::unique_lock<std::mutex>& lock) {
  if (stopped_) return nullptr;
  if (!free_.empty()) {
    BatchPtr b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  ++created_;
  lock.unlock();
  return std::make_unique<Batch>(batch_capacity_);
}

bool BatchChannel::push(BatchPtr batch, OnQueued on_queued, void* context) {
  std::unique_lock<std::mutex> lock(mu_);
  pause_cv_.wait(lock, [&] { return paused_ == 0 || stopped_ || closed_; });
  if (stopped_ || closed_) {
    batch->reset();
    free_.push_back(std::move(batch));
    return false;
  }
  batch->sequence = next_sequence_++;
  queued_.push_back(std::move(batch));
  if (on_queued != nullptr) on_queued(context, *queued_.back());
  lock.unlock();
  queued_cv_.notify_one();
  return true;
}

BatchPtr BatchChannel::pop() {
  std::unique_lock<std::mutex> lock(mu_);
  queued_cv_.wait(lock, [&] { return closed_ || !queued_.empty(); });
  if (queued_.empty()) return nullptr;
  BatchPtr b = std::move(queued_.front());
  queued_.pop_front();
  ++handling_;
  return b;
}

void BatchChannel::recycle(BatchPtr batch) {
  batch->reset();
  bool drained = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(batch));
    if (handling_ > 0) --handling_;
    drained = handling_ == 0 && queued_.empty();
  }
  free_cv_.notify_one();
  if (drained) drained_cv_.notify_all();
}

void BatchChannel::give_back(BatchPtr batch) {
  batch->reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(batch));
  }
  free_cv_.notify_one();
}

void BatchChannel::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  ++paused_;
}

void BatchChannel::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  drained_cv_.wait(lock, [&] { return handling_ == 0 && queued_.empty(); });
}

void BatchChannel::resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (paused_ > 0) --paused_;
  }
  pause_cv_.notify_all();
}

size_t BatchChannel::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handling_ + queued_.size();
}

void BatchChannel::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  queued_cv_.notify_all();
  pause_cv_.notify_all();
}

void BatchChannel::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  free_cv_.notify_all();
  pause_cv_.notify_all();
}

}  // namespace logtally::core
