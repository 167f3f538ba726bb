// Defers work until the current handler returns, once however often it is
// asked for in between: the writes requested in one event-loop pass then
// share one TLS record and one send(2). The owner keeps a PostOnce beside
// the state the work reads, and the work must keep the owner alive (capture
// its shared_ptr), since the PostOnce lives inside it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <utility>

namespace herald::net {

class PostOnce {
 public:
  template <typename Work>
  void request(asio::io_context& io, Work&& work) {
    if (posted_) return;
    posted_ = true;
    asio::post(io, [this, work = std::forward<Work>(work)]() mutable {
      posted_ = false;
      work();
    });
  }

 private:
  bool posted_ = false;
};

}  // namespace herald::net
