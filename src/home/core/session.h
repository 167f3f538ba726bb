// What the hub needs from a bound client session, and nothing more: the
// client stream (xmpp/c2s) implements it, unit tests implement it too.
//
// Threads: a session lives on one loop of the hub's LoopPool (loop()) for
// its whole life. The hub calls deliver() and close() only on that loop
// (it posts there itself); full_jid() and loop() may be read from any
// thread once bind has completed (they never change after).
//
// Stanzas cross the hub in the server's namespace, "jabber:server" (as over
// s2s). A session writes a delivered stanza with
// xml::serialize(stanza, "jabber:server") on its jabber:client stream,
// which puts it in jabber:client without rewriting the tree.
#pragma once

#include <cstddef>
#include <string_view>

#include "xml/element.h"
#include "xmpp/jid.h"

namespace herald::home::core {

class Session {
 public:
  virtual ~Session() = default;
  // The full JID bound to this session.
  virtual const xmpp::Jid& full_jid() const = 0;
  // The index of its loop in the hub's LoopPool.
  virtual size_t loop() const = 0;
  // Writes the stanza to the client (after what is queued). A session that
  // is closing drops it.
  virtual void deliver(xml::Element stanza) = 0;
  // Ends the stream with a stream error (RFC 6120 4.9.3), e.g. "conflict"
  // when another session took over its resource, "system-shutdown". The
  // session reports unbound() to the hub afterwards, as for any end.
  virtual void close(std::string_view condition, std::string_view text) = 0;
};

}  // namespace herald::home::core
