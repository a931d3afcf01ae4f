#include "core/worker_pool.h"

namespace logtally::core {

WorkerPool::WorkerPool(BatchChannel& channel, BatchHandler& handler, size_t workers) {
  for (size_t w = 0; w < workers; ++w) {
    threads_.emplace_back([&channel, &handler, w] {
      while (BatchPtr batch = channel.pop()) {
        handler.handle(w, *batch);
        channel.recycle(std::move(batch));
      }
    });
  }
}

void WorkerPool::join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

}  // namespace logtally::core
