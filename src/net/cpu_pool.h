// A few worker threads for CPU-heavy work that must not run on an event
// loop (PBKDF2 when a password is set or checked).
//
// Contract: run() may be called from any thread. `work` runs on a worker;
// its Result is posted to `executor` (the loop that asked), where `done`
// runs exactly once. The queue is bounded: when `max_queue` jobs wait
// already, `done` gets `unavailable` at once (posted, never called inside
// run()), so a flood of logins costs a bounded backlog, not memory without
// end. stop() (and the destructor) refuses new work, completes the jobs
// still queued with `unavailable` and waits for the running ones; the
// executors must still accept posts then (stop the pool before the loops).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/post.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"

namespace herald::net {

class CpuPool {
 public:
  // `threads` workers; 0: one per core.
  CpuPool(size_t threads, size_t max_queue);
  ~CpuPool();
  CpuPool(const CpuPool&) = delete;
  CpuPool& operator=(const CpuPool&) = delete;

  template <typename T>
  void run(asio::any_io_executor executor, std::function<Result<T>()> work,
           std::function<void(Result<T>)> done);

  void stop();
  size_t threads() const { return workers_.size(); }
  // Jobs waiting for a worker (for metrics and tests).
  size_t queued() const;

 private:
  // Called with true on a worker, or false when the pool refuses the job.
  using Job = std::function<void(bool run)>;
  // False when the queue is full or the pool stopped (the job is not kept).
  bool submit(Job& job);
  void work_loop();

  size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopped_ = false;
  std::vector<std::thread> workers_;
};

template <typename T>
void CpuPool::run(asio::any_io_executor executor, std::function<Result<T>()> work,
                  std::function<void(Result<T>)> done) {
  Job job = [executor, work = std::move(work), done = std::move(done)](bool run) mutable {
    Result<T> result = run ? work() : Result<T>(Unavailable("cpu pool stopping"));
    asio::post(executor, [done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  };
  if (submit(job)) return;
  asio::post(executor, [job = std::move(job)]() mutable { job(false); });
}

}  // namespace herald::net
