// N event loops, each an io_context run by a thread of its own, for a server
// that uses every core (herald-home). A connection lives on one loop for its
// whole life; work crosses loops only as posted handlers.
//
// Contract: the loops exist from construction (handlers may be posted and
// objects bound to them before start()); start() spawns one thread per loop,
// each running its io_context until stop() (at once: pending handlers are
// dropped) or until release() and its loop has no work left (graceful).
// join() waits for the threads; the destructor stops and joins. current()
// tells a handler which loop of which pool runs it (thread-local), so code
// can run inline when it already is on the right loop and post otherwise.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace herald::net {

class LoopPool {
 public:
  // `threads` loops; 0: one per core (std::thread::hardware_concurrency, at
  // least one).
  explicit LoopPool(size_t threads);
  ~LoopPool();
  LoopPool(const LoopPool&) = delete;
  LoopPool& operator=(const LoopPool&) = delete;

  size_t size() const { return loops_.size(); }
  asio::io_context& loop(size_t index) { return loops_.at(index)->io; }

  void start();
  // Graceful: each loop ends once it runs out of work.
  void release();
  // At once: each loop returns after its current handler.
  void stop();
  void join();

  // Posts `f` to loop `index`.
  template <typename F>
  void post(size_t index, F&& f) {
    asio::post(loops_.at(index)->io, std::forward<F>(f));
  }

  // The index of the loop of this pool the calling thread runs, or nullopt
  // (another pool's loop, or a thread that runs none).
  std::optional<size_t> current() const;
  bool on_loop(size_t index) const { return current() == index; }

 private:
  struct Loop {
    asio::io_context io{1};  // one thread per io_context: no internal locking needed
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
};

// One per core, as LoopPool(0) would make.
size_t default_loop_count();

}  // namespace herald::net
