// The four SCRAM messages of RFC 5802 section 7, parsed strictly by its
// grammar (attribute order, characters, base64, the '=2C'/'=3D' escapes of
// names) within explicit size limits. Used by ScramServer and ScramClient
// (scram.h) and by the fuzz target; a failure carries the condition a
// server sends (malformed-request for anything against the grammar).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "xmpp/sasl/failure.h"

namespace herald::xmpp::sasl {

constexpr size_t kMaxScramMessageBytes = 4096;
constexpr size_t kMaxNonceBytes = 512;
constexpr size_t kMaxUsernameBytes = 1023;  // an XMPP localpart's limit (RFC 7622)
constexpr size_t kMaxAuthzidBytes = 3071;   // a JID's
constexpr size_t kMaxSaltBytes = 1024;

// saslname (RFC 5802 5.1): ',' as "=2C", '=' as "=3D".
std::string encode_saslname(std::string_view name);
// nullopt for an empty name, a ',' or NUL, any other '=' sequence, or bad UTF-8.
std::optional<std::string> decode_saslname(std::string_view text);

struct Gs2Header {
  char flag = 'n';       // 'n' (no binding), 'y' (client could bind), 'p' (binds)
  std::string cb_name;   // with 'p': the channel-binding type as sent
  std::string authzid;   // decoded; empty when absent
  std::string text;      // the header as sent, both commas included
};

struct ClientFirstMessage {
  Gs2Header gs2;
  std::string bare;      // client-first-message-bare, as sent
  std::string username;  // decoded, not yet SASLprep'ed
  std::string nonce;
};
std::optional<SaslFailure> parse_client_first(std::string_view message, ClientFirstMessage* out);

struct ServerFirstMessage {
  std::string nonce;  // client nonce + server nonce
  std::string salt;   // decoded
  uint32_t iterations = 0;
  std::optional<std::string> downgrade_hash;  // XEP-0474 h=, as sent (base64)
};
std::optional<SaslFailure> parse_server_first(std::string_view message, ServerFirstMessage* out);

struct ClientFinalMessage {
  std::string channel_binding;  // c=, decoded: gs2 header + binding data
  std::string nonce;
  std::string proof;            // decoded
  std::string without_proof;    // client-final-message-without-proof, as sent
};
std::optional<SaslFailure> parse_client_final(std::string_view message, ClientFinalMessage* out);

struct ServerFinalMessage {
  std::string verifier;  // v=, decoded; empty when the server sent e=
  std::string error;     // e=, as sent
};
std::optional<SaslFailure> parse_server_final(std::string_view message, ServerFinalMessage* out);

}  // namespace herald::xmpp::sasl
