#include "net/cpu_pool.h"

#include <pthread.h>

#include "net/loop_pool.h"

namespace herald::net {

CpuPool::CpuPool(size_t threads, size_t max_queue) : max_queue_(max_queue) {
  if (threads == 0) threads = default_loop_count();
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i)
    workers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "cpu-worker");
      work_loop();
    });
}

CpuPool::~CpuPool() {
  stop();
}

bool CpuPool::submit(Job& job) {
  {
    std::lock_guard lock(mu_);
    if (stopped_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void CpuPool::work_loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (stopped_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job(true);
  }
}

void CpuPool::stop() {
  std::deque<Job> refused;
  {
    std::lock_guard lock(mu_);
    if (stopped_ && workers_.empty()) return;
    stopped_ = true;
    refused.swap(queue_);
  }
  wake_.notify_all();
  for (Job& job : refused) job(false);
  for (auto& w : workers_)
    if (w.joinable()) w.join();
  workers_.clear();
}

size_t CpuPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace herald::net
