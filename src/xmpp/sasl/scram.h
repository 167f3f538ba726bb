// The server side of one SCRAM exchange (RFC 5802, RFC 7677; -PLUS with
// channel binding, RFC 5929/9266; downgrade protection, XEP-0474), as a
// state machine without I/O or storage, so the session can fetch the
// user's credentials asynchronously between steps:
//
//   ScramServer s(Hash::sha256, plus, bindings);
//   auto f = s.client_first(msg, &first);     // -> first.username (look it up)
//   std::string challenge = s.server_first(credentials);  // or server_first_unknown()
//   auto f2 = s.client_final(msg2, &server_final);  // nullopt: success
//
// Messages are the decoded SASL payloads (the stream does the outer
// base64). Failures carry the SASL condition to send (RFC 6120 6.5):
// malformed-request for anything against the grammar or out of order,
// not-authorized for a wrong proof, a channel binding that does not match
// or a detected downgrade. invalid-authzid is the caller's to decide (it
// gets the authzid). An unknown user gets a challenge with a fake salt
// derived from the name (server_first_unknown), so a client cannot tell
// unknown users from wrong passwords.
//
// Channel binding (RFC 5802 5.1): a -PLUS exchange requires "p=<type>"
// naming a type in `offered` and binding data equal to ours; a non-PLUS
// exchange refuses "p", and refuses "y" (the client supports binding and
// thinks we do not) when we did advertise -PLUS (downgrade).
//
// The proof is compared in constant time. No step runs PBKDF2: the server
// works from the stored keys, so every step may run on the event loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "xmpp/sasl/channel_binding.h"
#include "xmpp/sasl/credentials.h"
#include "xmpp/sasl/failure.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/ssdp.h"

namespace herald::xmpp::sasl {

class ScramServer {
 public:
  // `server_nonce`: the part of the nonce we add; empty for 24 random bytes
  // in base64 (known-answer tests pass one).
  ScramServer(Hash hash, bool plus, ChannelBindings bindings, std::string server_nonce = {});

  // "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", ...
  std::string mechanism() const;

  struct ClientFirst {
    std::string username;  // '=2C'/'=3D' decoded, SASLprep'ed (query rules)
    std::string authzid;   // decoded; empty when absent
  };
  std::optional<SaslFailure> client_first(std::string_view message, ClientFirst* out);
  // After a successful client_first(): the challenge for this user's
  // credentials (of this exchange's hash). Returns "" when called out of
  // order or with credentials of another hash (the exchange then fails).
  std::string server_first(const ScramCredentials& credentials);
  // For a user that does not exist (or has no credentials for this hash):
  // fake_credentials() under `server_secret` with `iterations` (use the
  // count real users get); the exchange goes on and fails at client_final
  // with not-authorized, exactly as a wrong password does.
  std::string server_first_unknown(std::string_view server_secret, uint32_t iterations);
  // On success returns nullopt and sets *server_final ("v=...").
  std::optional<SaslFailure> client_final(std::string_view message, std::string* server_final);

 private:
  enum class State { start, got_client_first, sent_server_first, done, failed };
  std::optional<std::string_view> binding_data(ChannelBindingType t) const;

  Hash hash_;
  bool plus_;
  ChannelBindings bindings_;
  std::string server_nonce_;
  std::string gs2_header_;
  std::string expected_binding_;  // the c= we expect, decoded
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string username_;
  std::string nonce_;
  std::string server_first_;
  ScramCredentials credentials_;
  bool unknown_user_ = false;
  State state_ = State::start;
};

// SaltedPassword kept per (hash, iterations, salt, password), so a client
// that logs in again and again (the load generator) runs PBKDF2 once per
// account instead of once per login; RFC 5802 section 5.1 lets clients
// cache it. Holds passwords in memory: for test clients only. Not
// synchronised (one per thread); beyond `max_entries` it starts over.
class SaltedPasswordCache {
 public:
  explicit SaltedPasswordCache(size_t max_entries = 100'000) : max_entries_(max_entries) {}
  // PBKDF2 on a miss.
  const std::string& salted_password(Hash hash, std::string_view password, std::string_view salt,
                                     uint32_t iterations);
  size_t size() const { return entries_.size(); }

 private:
  size_t max_entries_;
  std::unordered_map<std::string, std::string> entries_;
};

struct ScramClientOptions {
  std::string authzid;                 // sent as a= when not empty
  uint32_t min_iterations = kMinIterations;  // refuse weaker server-first messages
  uint32_t max_iterations = kMaxIterations;  // refuse ones that would stall us (at most kMaxIterations)
  // XEP-0474: what the server advertised, as we received it. When set and
  // the server-first-message has h=, a different hash fails the exchange.
  std::optional<AdvertisedMethods> advertised;
  std::string nonce;                   // empty: 24 random bytes in base64
  SaltedPasswordCache* cache = nullptr;  // null: PBKDF2 on every exchange
};

// The client side (for tests, the load generator and herald-home's own
// checks): one exchange with a known password. Runs PBKDF2 in
// client_final() (unless options.cache has the result).
class ScramClient {
 public:
  // `binding`: for -PLUS the type and our binding data; nullopt for plain
  // SCRAM (gs2 header "n,," or "y,," when `client_supports_binding`).
  ScramClient(Hash hash, std::string username, std::string password,
              std::optional<std::pair<ChannelBindingType, std::string>> binding = {},
              bool client_supports_binding = false, ScramClientOptions options = {});
  // "" when the user name fails SASLprep (see error()).
  std::string client_first();
  // From the server-first message; nullopt when it is malformed, weaker
  // than allowed or shows a downgrade (see error()).
  std::optional<std::string> client_final(std::string_view server_first);
  // Whether the server-final message proves the server knew our keys.
  bool verify_server_final(std::string_view server_final) const;
  // Why the last step failed; "" after success.
  const std::string& error() const { return error_; }
  // Whether the server-first message carried an h= that matched ours.
  bool downgrade_protection_verified() const { return downgrade_verified_; }

 private:
  Hash hash_;
  std::string username_, password_;
  std::optional<std::pair<ChannelBindingType, std::string>> binding_;
  bool client_supports_binding_;
  ScramClientOptions options_;
  std::string nonce_, gs2_header_, client_first_bare_, expected_server_signature_;
  std::string error_;
  bool downgrade_verified_ = false;
};

}  // namespace herald::xmpp::sasl
