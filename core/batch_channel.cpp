#include "core/batch_channel.h"

namespace logtally::core {

BatchPtr BatchChannel::acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  free_cv_.wait(lock, [&] { return stopped_ || !free_.empty() || created_ < max_batches_; });
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

BatchPtr BatchChannel::try_acquire_for(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!free_cv_.wait_for(lock, timeout,
                         [&] { return stopped_ || !free_.empty() || created_ < max_batches_; })) {
    return nullptr;
  }
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

bool BatchChannel::push(BatchPtr batch) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopped_ || closed_) {
    batch->reset();
    free_.push_back(std::move(batch));
    return false;
  }
  batch->sequence = next_sequence_++;
  queued_.push_back(std::move(batch));
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
  return b;
}

void BatchChannel::recycle(BatchPtr batch) {
  batch->reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(batch));
  }
  free_cv_.notify_one();
}

void BatchChannel::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  queued_cv_.notify_all();
}

void BatchChannel::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  free_cv_.notify_all();
}

}  // namespace logtally::core
