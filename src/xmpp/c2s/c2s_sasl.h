// One SASL authentication attempt of a client stream (RFC 6120 section 6):
// the mechanisms' steps without their framing, so the RFC 6120 elements
// (<auth/>, <challenge/>, <response/>, <success/>, <failure/>, written by
// the session) and SASL2 (XEP-0388 <authenticate/>, next) share them.
//
// Mechanisms, strongest first: SCRAM-SHA-512/-256/-1 with -PLUS when the
// connection has channel binding data (sasl/channel_binding.h), then
// without, then PLAIN when config.allow_plain. Nothing is offered or
// accepted before TLS (encryption-required).
// SCRAM looks up the account's keys through the host; an account the host
// does not know (or a username that is no valid localpart) gets a fake
// exchange that fails like a wrong password (not-authorized), so the two
// look the same. PLAIN checks the password through the host (off the
// loop). An authzid other than the account's bare JID is invalid-authzid.
// A host that cannot answer (store down) gives temporary-auth-failure.
//
// Lifetime: shared_ptr; the host's callbacks hold it, so an attempt the
// session has given up on finishes harmlessly. Each `done` is called once,
// on the session's loop (synchronously when no lookup is needed).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xmpp/c2s/c2s_host.h"
#include "xmpp/jid.h"
#include "xmpp/sasl/scram.h"

namespace herald::xmpp {

class C2sSasl : public std::enable_shared_from_this<C2sSasl> {
 public:
  struct Step {
    enum class Kind { challenge, success, failure };
    Kind kind = Kind::failure;
    std::string data;        // challenge, or success's additional data (raw)
    std::string condition;   // failure: RFC 6120 6.5 condition
    std::string text;        // failure: for the client, never user data
    std::optional<Jid> jid;  // success: the account's bare JID
  };
  using Done = std::function<void(Step)>;

  // The mechanisms to offer on a connection.
  static std::vector<std::string> mechanisms(const C2sConfig& config, bool tls,
                                             const sasl::ChannelBindings& bindings);

  static std::shared_ptr<C2sSasl> create(C2sHost& host, std::string domain, bool tls,
                                         sasl::ChannelBindings bindings);

  // The client's choice and its initial response (nullopt: none sent; an
  // empty one is "=" on the wire, the caller decodes it to "").
  void start(const std::string& mechanism, std::optional<std::string> initial, Done done);
  // The client's answer to our last challenge.
  void respond(const std::string& response, Done done);
  const std::string& mechanism() const { return mechanism_; }

 private:
  C2sSasl(C2sHost& host, std::string domain, bool tls, sasl::ChannelBindings bindings);

  void scram_first(const std::string& message, Done done);
  void scram_final(const std::string& message, Done done);
  void plain(const std::string& message, Done done);
  // The bare JID for a username at our domain; nullopt when it is none.
  std::optional<Jid> account(const std::string& username) const;

  C2sHost& host_;
  std::string domain_;
  bool tls_;
  sasl::ChannelBindings bindings_;
  std::string mechanism_;
  sasl::Hash hash_ = sasl::Hash::sha256;
  std::optional<sasl::ScramServer> scram_;
  std::optional<Jid> jid_;
  enum class Phase { idle, initial, final, finished } phase_ = Phase::idle;
};

}  // namespace herald::xmpp
