// The Hashed Token mechanisms FAST (XEP-0484) authenticates with
// (draft-schmaus-kitten-sasl-ht-09): one round trip,
//   initiator-msg = authcid NUL HMAC(token, "Initiator" || cb-data)
//   responder-msg =             HMAC(token, "Responder" || cb-data)
// with HMAC over the mechanism's hash and cb-data the channel binding its
// suffix names: NONE (empty), ENDP (tls-server-end-point), EXPR
// (tls-exporter), UNIQ (tls-unique, parsed but never offered: we have no
// tls-unique data). Pure: no I/O, no storage.
//
// herald-home stores no token, not even hashed: each token is derived from
// a server key kept outside the database and the token's id. So the server
// side takes candidate tokens, not a stored hash: the caller derives the
// few tokens the user may hold for this mechanism and passes them all;
// every candidate is tried, in constant time, whichever matches.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/sasl/channel_binding.h"
#include "xmpp/sasl/credentials.h"
#include "xmpp/sasl/failure.h"

namespace herald::xmpp::sasl {

constexpr size_t kMaxHtAuthcidBytes = 1023;

struct HtMechanism {
  Hash hash = Hash::sha256;  // SHA-256 or SHA-512 (the draft's registry has no SHA-1)
  std::optional<ChannelBindingType> binding;  // nullopt: -NONE
  bool operator==(const HtMechanism&) const = default;
};

// "HT-SHA-256-EXPR" and back; nullopt for anything else.
std::string ht_mechanism_name(const HtMechanism& m);
std::optional<HtMechanism> parse_ht_mechanism(std::string_view name);

// What a server lists in <fast/> for a stream with these bindings: per
// hash, -EXPR and -ENDP when offered, and -NONE.
std::vector<std::string> ht_mechanisms_to_offer(const ChannelBindings& bindings,
                                                const std::vector<Hash>& hashes = {Hash::sha256});

std::string ht_initiator_hash(Hash hash, std::string_view token, std::string_view cb_data);
std::string ht_responder_hash(Hash hash, std::string_view token, std::string_view cb_data);

// The server side of one HT exchange.
class HtServer {
 public:
  HtServer(HtMechanism mechanism, ChannelBindings bindings);

  // Parses the initiator-msg; on success sets *authcid (UTF-8, 1..1023
  // bytes, as sent) for the caller to look up. malformed-request for a
  // message against the grammar; not-authorized when the mechanism's
  // binding type is not offered on this stream.
  std::optional<SaslFailure> initiator(std::string_view message, std::string* authcid);
  // Tries every candidate token (the user's tokens for this mechanism) in
  // constant time. On a match: nullopt, *matched = its index and
  // *responder = the responder-msg. No candidate (an unknown user: pass an
  // empty list) or none matching: not-authorized.
  std::optional<SaslFailure> verify(const std::vector<std::string>& candidates, size_t* matched,
                                    std::string* responder);

 private:
  HtMechanism mechanism_;
  ChannelBindings bindings_;
  std::string cb_data_;
  std::string hashed_token_;
  bool ready_ = false;
};

// The client side (tests, load generator).
class HtClient {
 public:
  // `cb_data`: the binding data the mechanism names ("" for -NONE).
  HtClient(HtMechanism mechanism, std::string authcid, std::string token, std::string cb_data);
  std::string initiator() const;
  bool verify_responder(std::string_view responder) const;

 private:
  HtMechanism mechanism_;
  std::string authcid_, token_, cb_data_;
};

}  // namespace herald::xmpp::sasl
