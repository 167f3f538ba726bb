// The server side of one SCRAM exchange (RFC 5802, RFC 7677; -PLUS with
// channel binding, RFC 5929/9266), as a state machine without I/O or
// storage, so the session can fetch the user's credentials asynchronously
// between steps:
//
//   ScramServer s(Hash::sha256, plus, bindings);
//   auto first = s.client_first(msg);        // -> username (look it up)
//   std::string challenge = s.server_first(credentials);  // or unknown_user()
//   auto final = s.client_final(msg2);       // -> server-final (success)
//
// Failures carry the SASL condition to send (RFC 6120 6.5): malformed-request,
// not-authorized, invalid-authzid, ... An unknown user gets a challenge with
// a fake salt derived from the name (server_first_unknown), so a client
// cannot tell unknown users from wrong passwords.
// Channel binding (RFC 5802 5.1): a -PLUS exchange requires "p=<type>" naming
// a type in `offered` and binding data equal to ours; a non-PLUS exchange
// from a client that says "y" (it supports binding and thinks we do not)
// fails when we did offer -PLUS (downgrade).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "xmpp/sasl/channel_binding.h"
#include "xmpp/sasl/credentials.h"

namespace herald::xmpp::sasl {

struct SaslFailure {
  std::string condition;  // RFC 6120 6.5 element name
  std::string text;       // for the client; never user data
};

// The data a connection can bind to, computed once per connection.
struct ChannelBindings {
  std::vector<ChannelBindingType> offered;  // what we advertise
  // Binding data by type (only for offered types).
  std::vector<std::pair<ChannelBindingType, std::string>> data;
  // Whether the server advertised any -PLUS mechanism on this stream.
  bool plus_advertised = false;
};

class ScramServer {
 public:
  ScramServer(Hash hash, bool plus, ChannelBindings bindings);

  struct ClientFirst {
    std::string username;  // SASLprep'ed, '=2C'/'=3D' decoded
    std::string authzid;   // empty when absent
  };
  std::optional<SaslFailure> client_first(std::string_view message, ClientFirst* out);
  std::string server_first(const ScramCredentials& credentials);
  // For a user that does not exist (or has no credentials for this hash):
  // the exchange goes on and fails at client_final with not-authorized.
  // The fake salt is keyed by `server_secret` (the same on every node) and
  // `iterations` should be what real accounts have, so nothing tells them
  // apart.
  std::string server_first_unknown(std::string_view server_secret, uint32_t iterations = 4096);
  // On success returns nullopt and sets *server_final ("v=...").
  std::optional<SaslFailure> client_final(std::string_view message, std::string* server_final);

 private:
  Hash hash_;
  bool plus_;
  ChannelBindings bindings_;
  std::string gs2_header_;
  std::optional<ChannelBindingType> binding_type_;  // from "p=<type>"
  std::string username_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string nonce_;
  std::string server_first_;
  std::optional<ScramCredentials> credentials_;
  int state_ = 0;
};

// The client side (for tests, the load generator and herald-home's own
// checks): one exchange with a known password.
class ScramClient {
 public:
  // `binding`: for -PLUS the type and our binding data; nullopt for plain
  // SCRAM (gs2 header "n,," or "y,," when `client_supports_binding`).
  ScramClient(Hash hash, std::string username, std::string password,
              std::optional<std::pair<ChannelBindingType, std::string>> binding = {},
              bool client_supports_binding = false);
  std::string client_first();
  // From the server-first message; nullopt when it is malformed.
  std::optional<std::string> client_final(std::string_view server_first);
  // Whether the server-final message proves the server knew our keys.
  bool verify_server_final(std::string_view server_final) const;

 private:
  Hash hash_;
  std::string username_, password_;
  std::optional<std::pair<ChannelBindingType, std::string>> binding_;
  bool client_supports_binding_;
  std::string gs2_header_, nonce_, client_first_bare_, expected_server_signature_;
};

// PLAIN (RFC 4616): "authzid\0authcid\0password". The password is checked
// with password_matches() off the loop.
struct PlainMessage {
  std::string authzid, username, password;
};
std::optional<SaslFailure> parse_plain(std::string_view message, PlainMessage* out);

}  // namespace herald::xmpp::sasl
