// A client stream (xmpp::C2sSession) as the hub's Session: the one place
// that knows both sides.
#pragma once

#include <memory>
#include <stdexcept>

#include "home/core/session.h"
#include "net/loop_pool.h"
#include "xmpp/c2s/c2s_session.h"

namespace herald::home::app {

class C2sSessionAdapter : public core::Session {
 public:
  C2sSessionAdapter(std::shared_ptr<xmpp::C2sSession> session, net::LoopPool& loops)
      : session_(std::move(session)), loop_(index_of(loops, session_->loop())) {}

  const xmpp::Jid& full_jid() const override { return session_->jid(); }
  size_t loop() const override { return loop_; }
  void deliver(xml::Element stanza) override { session_->deliver(stanza); }
  void close(std::string_view condition, std::string_view text) override {
    session_->close(condition, text);
  }

 private:
  static size_t index_of(net::LoopPool& loops, asio::io_context& io) {
    for (size_t i = 0; i < loops.size(); ++i)
      if (&loops.loop(i) == &io) return i;
    throw std::logic_error("c2s: a session on a loop that is not the hub's");
  }
  std::shared_ptr<xmpp::C2sSession> session_;
  size_t loop_;
};

}  // namespace herald::home::app
