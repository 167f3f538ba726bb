#include "net/loop_pool.h"

#include <pthread.h>

#include <string>

namespace herald::net {
namespace {

// Which pool and loop the running thread belongs to.
thread_local const LoopPool* tls_pool = nullptr;
thread_local size_t tls_index = 0;

}  // namespace

size_t default_loop_count() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

LoopPool::LoopPool(size_t threads) {
  if (threads == 0) threads = default_loop_count();
  loops_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>());
}

LoopPool::~LoopPool() {
  stop();
  join();
}

void LoopPool::start() {
  for (size_t i = 0; i < loops_.size(); ++i) {
    Loop& loop = *loops_[i];
    if (loop.thread.joinable()) continue;
    loop.thread = std::thread([this, i, &loop] {
      tls_pool = this;
      tls_index = i;
      std::string name = "loop-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());  // shows in top -H, gdb
      loop.io.run();
      tls_pool = nullptr;
    });
  }
}

void LoopPool::release() {
  for (auto& loop : loops_) loop->guard.reset();
}

void LoopPool::stop() {
  for (auto& loop : loops_) {
    loop->guard.reset();
    loop->io.stop();
  }
}

void LoopPool::join() {
  for (auto& loop : loops_)
    if (loop->thread.joinable() && loop->thread.get_id() != std::this_thread::get_id())
      loop->thread.join();
}

std::optional<size_t> LoopPool::current() const {
  if (tls_pool != this) return std::nullopt;
  return tls_index;
}

}  // namespace herald::net
