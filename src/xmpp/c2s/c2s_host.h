// What a client session (c2s_session.h) needs from the server that owns it.
// The home server's hub implements it; unit tests may fake it.
//
// Threads: every call is made on the session's own event loop, and every
// `done` callback must be invoked on that same loop (the host posts back),
// exactly once, even when the host is shutting down (with `unavailable`).
// Nothing here blocks: lookups and password checks run elsewhere.
//
// Privacy: the host may use the client's address only for the abuse filter
// (counting failures, refusing blocked addresses); it never logs or stores
// it outside the blocklist.
#pragma once

#include <asio/ip/address.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xml/element.h"
#include "xmpp/c2s/c2s_config.h"
#include "xmpp/jid.h"
#include "xmpp/sasl/credentials.h"

namespace herald::xmpp {

class C2sSession;

class C2sHost {
 public:
  virtual ~C2sHost() = default;
  virtual const C2sConfig& c2s_config() const = 0;
  // Is `host` (normalised) a host domain we serve accounts on?
  virtual bool serves_host(std::string_view host) const = 0;

  // At accept: false to refuse the connection (blocklisted address).
  virtual bool admit_address(const asio::ip::address& address) = 0;

  // SCRAM: the account's stored credentials for `hash`; not_found for an
  // unknown account (the session then goes on with a fake exchange).
  virtual void lookup_credentials(
      const std::string& host, const std::string& username, sasl::Hash hash,
      std::function<void(Result<sasl::ScramCredentials>)> done) = 0;
  // PLAIN: checks the password against the stored credentials off the loop;
  // true when it matches, false when not (or unknown account).
  virtual void check_password(const std::string& host, const std::string& username,
                              const std::string& password, std::function<void(Result<bool>)> done) = 0;
  // The outcome of each authentication attempt, for the abuse filter and the
  // account's last-login date. `address` is never kept beyond the filter.
  virtual void authentication_failed(const asio::ip::address& address) = 0;
  virtual void authenticated(const Jid& bare) = 0;

  // Resource binding for an authenticated session: `requested` may be empty
  // (the host picks one). Done with the full JID now bound to `session`, or
  // an error: `exists` (conflict the host refuses), `invalid` (bad
  // resource), `unavailable` (too many resources, or shutting down).
  virtual void bind(std::shared_ptr<C2sSession> session, const Jid& bare,
                    const std::string& requested, std::function<void(Result<Jid>)> done) = 0;
  // A stanza the bound client sent, its 'from' already set to the session's
  // full JID and its 'to' validated.
  virtual void from_client(C2sSession& session, xml::Element stanza) = 0;
  // The bound session is gone (after bind() succeeded), for whatever reason.
  virtual void unbound(C2sSession& session) = 0;
};

}  // namespace herald::xmpp
