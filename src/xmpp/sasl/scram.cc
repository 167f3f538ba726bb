#include "xmpp/sasl/scram.h"

#include <algorithm>

#include "base/crypto.h"
#include "base/encoding.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/saslprep.h"
#include "xmpp/sasl/scram_messages.h"

namespace herald::xmpp::sasl {
namespace {

constexpr size_t kNonceRandomBytes = 24;

std::string fresh_nonce() { return base64_encode(random_bytes(kNonceRandomBytes)); }

std::string auth_message(std::string_view client_first_bare, std::string_view server_first,
                         std::string_view client_final_without_proof) {
  std::string m;
  m.reserve(client_first_bare.size() + server_first.size() + client_final_without_proof.size() + 2);
  m.append(client_first_bare).append(",").append(server_first).append(",");
  m.append(client_final_without_proof);
  return m;
}

std::string mechanism_name(Hash hash, bool plus) {
  return std::string("SCRAM-") + std::string(hash_name(hash)) + (plus ? "-PLUS" : "");
}

}  // namespace

// ---- server ----

ScramServer::ScramServer(Hash hash, bool plus, ChannelBindings bindings, std::string server_nonce)
    : hash_(hash),
      plus_(plus),
      bindings_(std::move(bindings)),
      server_nonce_(server_nonce.empty() ? fresh_nonce() : std::move(server_nonce)) {}

std::string ScramServer::mechanism() const { return mechanism_name(hash_, plus_); }

std::optional<std::string_view> ScramServer::binding_data(ChannelBindingType t) const {
  bool offered = false;
  for (auto o : bindings_.offered) offered |= o == t;
  if (!offered) return std::nullopt;
  for (const auto& [type, data] : bindings_.data)
    if (type == t) return std::string_view(data);
  return std::nullopt;
}

std::optional<SaslFailure> ScramServer::client_first(std::string_view message, ClientFirst* out) {
  if (state_ != State::start) {
    state_ = State::failed;
    return malformed("unexpected client-first-message");
  }
  state_ = State::failed;  // until everything below passed
  ClientFirstMessage m;
  if (auto f = parse_client_first(message, &m)) return f;
  const Gs2Header& gs2 = m.gs2;
  expected_binding_ = gs2.text;
  if (plus_) {
    if (gs2.flag != 'p') return malformed("a -PLUS mechanism needs channel binding");
    auto type = parse_channel_binding_name(gs2.cb_name);
    auto data = type ? binding_data(*type) : std::nullopt;
    // A client that names a type we did not offer is confused, not guessing
    // passwords: malformed, so the abuse filter does not count it.
    if (!data) return malformed("unsupported-channel-binding-type");
    expected_binding_.append(*data);
  } else if (gs2.flag == 'p') {
    return malformed("channel binding needs a -PLUS mechanism");
  } else if (gs2.flag == 'y' && bindings_.plus_advertised) {
    // The client binds, thinks we cannot, yet we offered -PLUS: someone
    // removed it from our list on the way.
    return not_authorized("server-does-support-channel-binding");
  }
  auto username = saslprep(m.username);
  if (!username || username->empty()) return malformed("user name refused by SASLprep");
  gs2_header_ = gs2.text;
  client_first_bare_ = std::move(m.bare);
  client_nonce_ = std::move(m.nonce);
  username_ = *username;
  out->username = std::move(*username);
  out->authzid = gs2.authzid;
  state_ = State::got_client_first;
  return std::nullopt;
}

std::string ScramServer::server_first(const ScramCredentials& credentials) {
  if (state_ != State::got_client_first || credentials.hash != hash_ ||
      credentials.iterations == 0 || credentials.salt.empty() ||
      credentials.stored_key.size() != digest_size(hash_) ||
      credentials.server_key.size() != digest_size(hash_)) {
    state_ = State::failed;
    return "";
  }
  credentials_ = credentials;
  nonce_ = client_nonce_ + server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(credentials.salt) +
                  ",i=" + std::to_string(credentials.iterations);
  if (!bindings_.advertised_mechanisms.empty()) {
    AdvertisedMethods advertised{bindings_.advertised_mechanisms, std::nullopt};
    if (!bindings_.offered.empty()) {
      advertised.channel_bindings.emplace();
      for (auto t : bindings_.offered)
        advertised.channel_bindings->emplace_back(channel_binding_name(t));
    }
    server_first_ += ",h=" + downgrade_protection_hash(hash_, advertised);
  }
  state_ = State::sent_server_first;
  return server_first_;
}

std::string ScramServer::server_first_unknown(std::string_view server_secret,
                                              uint32_t iterations) {
  if (state_ != State::got_client_first) {
    state_ = State::failed;
    return "";
  }
  std::string challenge =
      server_first(fake_credentials(hash_, server_secret, username_, iterations));
  unknown_user_ = true;
  return challenge;
}

std::optional<SaslFailure> ScramServer::client_final(std::string_view message,
                                                     std::string* server_final) {
  if (state_ != State::sent_server_first) {
    state_ = State::failed;
    return malformed("unexpected client-final-message");
  }
  state_ = State::failed;
  ClientFinalMessage m;
  if (auto f = parse_client_final(message, &m)) return f;
  if (!constant_time_equal(m.channel_binding, expected_binding_))
    return not_authorized(plus_ ? "channel-bindings-dont-match" : "gs2 header changed");
  if (m.nonce != nonce_) return not_authorized("nonce mismatch");
  if (m.proof.size() != digest_size(hash_)) return malformed("proof of the wrong size");
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must be StoredKey.
  std::string auth = auth_message(client_first_bare_, server_first_, m.without_proof);
  std::string client_key = xor_bytes(m.proof, hmac(hash_, credentials_.stored_key, auth));
  bool proven = constant_time_equal(digest(hash_, client_key), credentials_.stored_key);
  // No text: a wrong password, an unknown user and a failed PLAIN login
  // must read the same.
  if (!proven || unknown_user_) return not_authorized("");
  *server_final = "v=" + base64_encode(hmac(hash_, credentials_.server_key, auth));
  state_ = State::done;
  return std::nullopt;
}

// ---- client ----

const std::string& SaltedPasswordCache::salted_password(Hash hash, std::string_view password,
                                                        std::string_view salt, uint32_t iterations) {
  std::string key(hash_name(hash));
  key.append(1, '\0').append(std::to_string(iterations)).append(1, '\0');
  key.append(std::to_string(salt.size())).append(1, '\0').append(salt).append(password);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  if (entries_.size() >= max_entries_) entries_.clear();
  return entries_.emplace(std::move(key), pbkdf2(hash, password, salt, iterations)).first->second;
}

ScramClient::ScramClient(Hash hash, std::string username, std::string password,
                         std::optional<std::pair<ChannelBindingType, std::string>> binding,
                         bool client_supports_binding, ScramClientOptions options)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      binding_(std::move(binding)),
      client_supports_binding_(client_supports_binding),
      options_(std::move(options)) {}

std::string ScramClient::client_first() {
  auto username = saslprep(username_);
  if (!username || username->empty()) {
    error_ = "user name refused by SASLprep";
    return "";
  }
  error_.clear();
  nonce_ = options_.nonce.empty() ? fresh_nonce() : options_.nonce;
  if (binding_)
    gs2_header_ = "p=" + std::string(channel_binding_name(binding_->first)) + ",";
  else
    gs2_header_ = client_supports_binding_ ? "y," : "n,";
  if (!options_.authzid.empty()) gs2_header_ += "a=" + encode_saslname(options_.authzid);
  gs2_header_ += ",";
  client_first_bare_ = "n=" + encode_saslname(*username) + ",r=" + nonce_;
  return gs2_header_ + client_first_bare_;
}

std::optional<std::string> ScramClient::client_final(std::string_view server_first) {
  ServerFirstMessage m;
  if (auto f = parse_server_first(server_first, &m)) {
    error_ = "malformed server-first-message: " + f->text;
    return std::nullopt;
  }
  if (nonce_.empty() || m.nonce.size() <= nonce_.size() || m.nonce.compare(0, nonce_.size(), nonce_) != 0) {
    error_ = "server nonce does not extend ours";
    return std::nullopt;
  }
  if (m.iterations < options_.min_iterations ||
      m.iterations > std::min(options_.max_iterations, kMaxIterations)) {
    error_ = "iteration count out of the allowed range";
    return std::nullopt;
  }
  downgrade_verified_ = false;
  if (options_.advertised && m.downgrade_hash) {
    if (!constant_time_equal(*m.downgrade_hash,
                             downgrade_protection_hash(hash_, *options_.advertised))) {
      error_ = "downgrade detected: the advertised mechanisms or channel bindings were changed";
      return std::nullopt;
    }
    downgrade_verified_ = true;
  }
  auto password = saslprep(password_);
  if (!password || password->empty()) {
    error_ = "password refused by SASLprep";
    return std::nullopt;
  }
  ScramKeys keys = scram_keys(
      hash_, options_.cache ? options_.cache->salted_password(hash_, *password, m.salt, m.iterations)
                            : pbkdf2(hash_, *password, m.salt, m.iterations));
  std::string cbind = gs2_header_ + (binding_ ? binding_->second : std::string());
  std::string without_proof = "c=" + base64_encode(cbind) + ",r=" + m.nonce;
  std::string auth = auth_message(client_first_bare_, server_first, without_proof);
  std::string proof = xor_bytes(keys.client_key, hmac(hash_, keys.stored_key, auth));
  expected_server_signature_ = hmac(hash_, keys.server_key, auth);
  error_.clear();
  return without_proof + ",p=" + base64_encode(proof);
}

bool ScramClient::verify_server_final(std::string_view server_final) const {
  ServerFinalMessage m;
  if (parse_server_final(server_final, &m) || expected_server_signature_.empty()) return false;
  return !m.verifier.empty() && constant_time_equal(m.verifier, expected_server_signature_);
}

}  // namespace herald::xmpp::sasl
