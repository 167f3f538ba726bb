#include "xmpp/sasl/scram.h"

#include "base/crypto.h"
#include "base/encoding.h"
#include "xmpp/sasl/scram_crypto.h"

namespace herald::xmpp::sasl {
namespace {

enum State { kExpectFirst = 0, kExpectCredentials, kExpectFinal, kDone };

SaslFailure failure(std::string condition, std::string text) {
  return {std::move(condition), std::move(text)};
}

// RFC 5802 saslname: "=2C" is ',', "=3D" is '='; any other '=' is an error.
std::optional<std::string> decode_saslname(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == ',') return std::nullopt;
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    if (in.substr(i, 3) == "=2C") out += ',';
    else if (in.substr(i, 3) == "=3D") out += '=';
    else return std::nullopt;
    i += 2;
  }
  return out;
}

std::string encode_saslname(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == ',') out += "=2C";
    else if (c == '=') out += "=3D";
    else out += c;
  }
  return out;
}

// Splits "a=x,b=y" into its attributes; nullopt when one is not "<letter>=".
std::optional<std::vector<std::pair<char, std::string_view>>> attributes(std::string_view s) {
  std::vector<std::pair<char, std::string_view>> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    if (part.size() < 2 || part[1] != '=' || !((part[0] >= 'a' && part[0] <= 'z') ||
                                               (part[0] >= 'A' && part[0] <= 'Z')))
      return std::nullopt;
    out.emplace_back(part[0], part.substr(2));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a);
  for (size_t i = 0; i < out.size() && i < b.size(); ++i) out[i] = char(out[i] ^ b[i]);
  return out;
}

std::string new_nonce() {
  return base64_encode(random_bytes(18));  // 24 characters, never a ','
}

}  // namespace

ScramServer::ScramServer(Hash hash, bool plus, ChannelBindings bindings)
    : hash_(hash), plus_(plus), bindings_(std::move(bindings)) {}

std::optional<SaslFailure> ScramServer::client_first(std::string_view message, ClientFirst* out) {
  if (state_ != kExpectFirst) return failure("malformed-request", "unexpected message");
  state_ = kDone;  // unless all goes well below
  // gs2-header: cbind-flag "," [authzid] ","
  size_t first = message.find(',');
  if (first == std::string_view::npos) return failure("malformed-request", "no GS2 header");
  std::string_view flag = message.substr(0, first);
  size_t second = message.find(',', first + 1);
  if (second == std::string_view::npos) return failure("malformed-request", "no GS2 header");
  std::string_view authzid = message.substr(first + 1, second - first - 1);
  if (flag.starts_with("p=")) {
    if (!plus_) return failure("malformed-request", "channel binding needs a -PLUS mechanism");
    auto type = parse_channel_binding_name(flag.substr(2));
    bool offered = false;
    for (auto t : bindings_.offered) offered = offered || (type && t == *type);
    // Not a wrong password (the abuse filter counts those): a client that
    // does not know what we offer (XEP-0440).
    if (!offered) return failure("malformed-request", "channel binding type not offered");
    binding_type_ = type;
  } else if (flag == "y" || flag == "n") {
    if (plus_) return failure("malformed-request", "a -PLUS mechanism needs channel binding");
    // RFC 5802 6: the client could bind and believes we cannot; we offered
    // -PLUS, so someone removed it on the way.
    if (flag == "y" && bindings_.plus_advertised)
      return failure("not-authorized", "channel binding downgrade");
  } else {
    return failure("malformed-request", "bad channel binding flag");
  }
  std::string decoded_authzid;
  if (!authzid.empty()) {
    if (!authzid.starts_with("a=")) return failure("malformed-request", "bad authzid");
    auto name = decode_saslname(authzid.substr(2));
    if (!name || name->empty()) return failure("malformed-request", "bad authzid");
    decoded_authzid = *name;
  }
  gs2_header_ = std::string(message.substr(0, second + 1));
  client_first_bare_ = std::string(message.substr(second + 1));
  auto attrs = attributes(client_first_bare_);
  if (!attrs || attrs->size() < 2) return failure("malformed-request", "bad client-first message");
  if ((*attrs)[0].first == 'm') return failure("malformed-request", "unsupported extension");
  if ((*attrs)[0].first != 'n' || (*attrs)[1].first != 'r')
    return failure("malformed-request", "bad client-first message");
  auto name = decode_saslname((*attrs)[0].second);
  auto prepared = name ? saslprep(*name, false) : std::nullopt;
  if (!prepared || prepared->empty()) return failure("malformed-request", "bad username");
  if (!valid_nonce((*attrs)[1].second)) return failure("malformed-request", "bad nonce");
  client_nonce_ = std::string((*attrs)[1].second);
  username_ = *prepared;
  out->username = *prepared;
  out->authzid = decoded_authzid;
  state_ = kExpectCredentials;
  return std::nullopt;
}

std::string ScramServer::server_first(const ScramCredentials& credentials) {
  credentials_ = credentials;
  nonce_ = client_nonce_ + new_nonce();
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(credentials.salt) +
                  ",i=" + std::to_string(credentials.iterations);
  state_ = kExpectFinal;
  return server_first_;
}

std::string ScramServer::server_first_unknown(std::string_view server_secret,
                                              uint32_t iterations) {
  // The same salt for the same name every time, as a real account has.
  ScramCredentials fake;
  fake.hash = hash_;
  fake.salt = hmac_sha256(server_secret, "scram-salt:" + username_).substr(0, 16);
  fake.iterations = iterations;
  std::string first = server_first(fake);
  credentials_.reset();
  return first;
}

std::optional<SaslFailure> ScramServer::client_final(std::string_view message,
                                                     std::string* server_final) {
  if (state_ != kExpectFinal) return failure("malformed-request", "unexpected message");
  state_ = kDone;
  size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return failure("malformed-request", "no proof");
  std::string_view without_proof = message.substr(0, proof_at);
  auto attrs = attributes(without_proof);
  if (!attrs || attrs->size() < 2 || (*attrs)[0].first != 'c' || (*attrs)[1].first != 'r')
    return failure("malformed-request", "bad client-final message");
  auto cbind = base64_decode((*attrs)[0].second);
  auto proof = base64_decode(message.substr(proof_at + 3));
  if (!cbind || !proof) return failure("malformed-request", "bad base64");
  std::string expected = gs2_header_;
  if (binding_type_) {
    const std::string* data = nullptr;
    for (const auto& [type, bytes] : bindings_.data)
      if (type == *binding_type_) data = &bytes;
    if (!data) return failure("not-authorized", "channel binding type not available");
    expected += *data;
  }
  if (!constant_time_equal(*cbind, expected))
    return failure("not-authorized", "channel binding does not match");
  if ((*attrs)[1].second != nonce_) return failure("not-authorized", "nonce does not match");
  if (!credentials_ || proof->size() != digest_size(hash_))
    return failure("not-authorized", "");
  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  std::string client_signature = hmac(hash_, credentials_->stored_key, auth_message);
  std::string client_key = xor_bytes(*proof, client_signature);
  if (!constant_time_equal(digest(hash_, client_key), credentials_->stored_key))
    return failure("not-authorized", "");
  *server_final = "v=" + base64_encode(hmac(hash_, credentials_->server_key, auth_message));
  return std::nullopt;
}

ScramClient::ScramClient(Hash hash, std::string username, std::string password,
                         std::optional<std::pair<ChannelBindingType, std::string>> binding,
                         bool client_supports_binding)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      binding_(std::move(binding)),
      client_supports_binding_(client_supports_binding) {}

std::string ScramClient::client_first() {
  nonce_ = new_nonce();
  if (binding_)
    gs2_header_ = "p=" + std::string(channel_binding_name(binding_->first)) + ",,";
  else
    gs2_header_ = client_supports_binding_ ? "y,," : "n,,";
  client_first_bare_ = "n=" + encode_saslname(username_) + ",r=" + nonce_;
  return gs2_header_ + client_first_bare_;
}

std::optional<std::string> ScramClient::client_final(std::string_view server_first) {
  auto attrs = attributes(server_first);
  if (!attrs || attrs->size() < 3 || (*attrs)[0].first != 'r' || (*attrs)[1].first != 's' ||
      (*attrs)[2].first != 'i')
    return std::nullopt;
  std::string_view nonce = (*attrs)[0].second;
  auto salt = base64_decode((*attrs)[1].second);
  long iterations = std::strtol(std::string((*attrs)[2].second).c_str(), nullptr, 10);
  if (!nonce.starts_with(nonce_) || nonce.size() == nonce_.size() || !salt || iterations <= 0)
    return std::nullopt;
  auto prepared = saslprep(password_, false);
  if (!prepared) return std::nullopt;
  std::string salted = hi(hash_, *prepared, *salt, uint32_t(iterations));
  std::string client_key = hmac(hash_, salted, "Client Key");
  std::string stored_key = digest(hash_, client_key);
  std::string cbind = gs2_header_ + (binding_ ? binding_->second : std::string());
  std::string without_proof = "c=" + base64_encode(cbind) + ",r=" + std::string(nonce);
  std::string auth_message =
      client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  std::string proof = xor_bytes(client_key, hmac(hash_, stored_key, auth_message));
  expected_server_signature_ = hmac(hash_, hmac(hash_, salted, "Server Key"), auth_message);
  return without_proof + ",p=" + base64_encode(proof);
}

bool ScramClient::verify_server_final(std::string_view server_final) const {
  if (!server_final.starts_with("v=") || expected_server_signature_.empty()) return false;
  auto signature = base64_decode(server_final.substr(2));
  return signature && constant_time_equal(*signature, expected_server_signature_);
}

std::optional<SaslFailure> parse_plain(std::string_view message, PlainMessage* out) {
  size_t a = message.find('\0');
  if (a == std::string_view::npos) return failure("malformed-request", "bad PLAIN message");
  size_t b = message.find('\0', a + 1);
  if (b == std::string_view::npos || message.find('\0', b + 1) != std::string_view::npos)
    return failure("malformed-request", "bad PLAIN message");
  out->authzid = std::string(message.substr(0, a));
  out->username = std::string(message.substr(a + 1, b - a - 1));
  out->password = std::string(message.substr(b + 1));
  if (out->username.empty() || out->password.empty())
    return failure("malformed-request", "bad PLAIN message");
  return std::nullopt;
}

}  // namespace herald::xmpp::sasl
