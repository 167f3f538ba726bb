// Where a stanza goes, by the domain of its 'to' (normalised): to the
// handler of a local domain (the push service's domain; the home server's
// hosts and service domains), or out through the remote outlet (s2s, or a
// component link).
//
// Two ways in, because they differ in what may leave:
//  - send(): a local service or session emits a stanza; it goes to a local
//    handler or to the remote outlet.
//  - handle(): a transport (an inbound s2s stream, a component link)
//    received it; it goes to a local handler only, and anything else is
//    dropped (we never relay between remote servers).
//
// Set up before start(), immutable after it: route from any thread or loop
// without locks. A local handler is either called on the caller's thread
// (it posts itself where it must, e.g. the home server's hub) or bound to
// a loop and then always posted there (it never re-enters its caller). The
// remote outlet may be bound to a loop (s2s runs on loop 0): called
// directly from that loop, posted from any other.
#pragma once

#include <asio/io_context.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"
#include "xmpp/stanza_channel.h"

namespace herald::xmpp {

class Router : public StanzaSender, public StanzaHandler {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Start-up only (std::logic_error after start(), std::invalid_argument
  // for a domain that is not one, or one registered twice).
  void add_local(std::string_view domain, StanzaHandler& handler);
  void add_local(std::string_view domain, StanzaHandler& handler, asio::io_context& loop);
  void set_remote(StanzaSender& outlet, asio::io_context* loop = nullptr);
  void start();

  void send(xml::Element stanza) override;
  void handle(xml::Element stanza) override;

  // `domain` normalised (as JIDs and configurations hold it).
  bool is_local(std::string_view domain) const { return locals_.contains(domain); }

  // The normalised domainpart of a JID's text, or nullopt when it has none
  // that is valid. Cheap for the usual lowercase ASCII domains.
  static std::optional<std::string> domain_of(std::string_view jid);

 private:
  struct Target {
    StanzaHandler* handler = nullptr;
    asio::io_context* loop = nullptr;  // null: call on the caller's thread
  };
  void add(std::string_view domain, Target target);
  // The local target for the stanza's 'to', nullptr when it is not local
  // (*domain_ok false when there is no valid 'to' at all).
  const Target* local_target(const xml::Element& stanza, bool* domain_ok) const;
  static void deliver(const Target& target, xml::Element stanza);

  std::map<std::string, Target, std::less<>> locals_;
  StanzaSender* remote_ = nullptr;
  asio::io_context* remote_loop_ = nullptr;
  bool started_ = false;
};

}  // namespace herald::xmpp
