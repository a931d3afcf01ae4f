// WorkerPool: N threads that pop batches from a BatchChannel, hand each to a BatchHandler, and
// recycle it. join() returns after the channel is closed and every queued batch is handled.
#pragma once

#include <thread>
#include <vector>

#include "core/batch_channel.h"

namespace logtally::core {

class WorkerPool {
 public:
  WorkerPool(BatchChannel& channel, BatchHandler& handler, size_t workers);
  ~WorkerPool() { join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void join();

 private:
  std::vector<std::thread> threads_;
};

}  // namespace logtally::core
