#include "xmpp/sasl/ht.h"

#include "base/crypto.h"
#include "xmpp/sasl/primitives.h"
#include "xmpp/sasl/saslprep.h"

namespace herald::xmpp::sasl {
namespace {

constexpr std::pair<std::string_view, std::optional<ChannelBindingType>> kSuffixes[] = {
    {"NONE", std::nullopt},
    {"ENDP", ChannelBindingType::tls_server_end_point},
    {"EXPR", ChannelBindingType::tls_exporter},
    {"UNIQ", ChannelBindingType::tls_unique},
};

bool ht_hash(Hash h) { return h == Hash::sha256 || h == Hash::sha512; }

std::string ht_hmac(Hash hash, std::string_view token, std::string_view label,
                    std::string_view cb_data) {
  std::string data(label);
  data.append(cb_data);
  return hmac(hash, token, data);
}

}  // namespace

std::string ht_mechanism_name(const HtMechanism& m) {
  for (const auto& [suffix, binding] : kSuffixes)
    if (binding == m.binding)
      return "HT-" + std::string(hash_name(m.hash)) + "-" + std::string(suffix);
  return "";
}

std::optional<HtMechanism> parse_ht_mechanism(std::string_view name) {
  if (name.substr(0, 3) != "HT-" || name.size() < 8 || name[name.size() - 5] != '-')
    return std::nullopt;
  auto hash = parse_hash_name(name.substr(3, name.size() - 8));
  if (!hash || !ht_hash(*hash)) return std::nullopt;
  for (const auto& [suffix, binding] : kSuffixes)
    if (name.substr(name.size() - 4) == suffix) return HtMechanism{*hash, binding};
  return std::nullopt;
}

std::vector<std::string> ht_mechanisms_to_offer(const ChannelBindings& bindings,
                                                const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (Hash h : hashes) {
    if (!ht_hash(h)) continue;
    for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point})
      for (auto offered : bindings.offered)
        if (offered == t) out.push_back(ht_mechanism_name({h, t}));
    out.push_back(ht_mechanism_name({h, std::nullopt}));
  }
  return out;
}

std::string ht_initiator_hash(Hash hash, std::string_view token, std::string_view cb_data) {
  return ht_hmac(hash, token, "Initiator", cb_data);
}

std::string ht_responder_hash(Hash hash, std::string_view token, std::string_view cb_data) {
  return ht_hmac(hash, token, "Responder", cb_data);
}

HtServer::HtServer(HtMechanism mechanism, ChannelBindings bindings)
    : mechanism_(mechanism), bindings_(std::move(bindings)) {}

std::optional<SaslFailure> HtServer::initiator(std::string_view message, std::string* authcid) {
  ready_ = false;
  if (!ht_hash(mechanism_.hash)) return {{"invalid-mechanism", "unsupported hash"}};
  size_t nul = message.find('\0');
  if (nul == std::string_view::npos) return malformed("expected authcid NUL hashed token");
  std::string_view name = message.substr(0, nul);
  std::string_view hashed = message.substr(nul + 1);
  if (name.empty() || name.size() > kMaxHtAuthcidBytes || !is_utf8(name))
    return malformed("invalid authcid");
  if (hashed.size() != digest_size(mechanism_.hash)) return malformed("hashed token of the wrong size");
  cb_data_.clear();
  if (mechanism_.binding) {
    bool found = false;
    for (auto offered : bindings_.offered)
      if (offered == *mechanism_.binding)
        for (const auto& [type, data] : bindings_.data)
          if (type == offered) {
            cb_data_ = data;
            found = true;
          }
    if (!found) return not_authorized("channel binding type not available");
  }
  *authcid = std::string(name);
  hashed_token_ = std::string(hashed);
  ready_ = true;
  return std::nullopt;
}

std::optional<SaslFailure> HtServer::verify(const std::vector<std::string>& candidates,
                                            size_t* matched, std::string* responder) {
  if (!ready_) return malformed("no initiator message");
  ready_ = false;
  bool any = false;
  size_t which = 0;
  // Every candidate is hashed and compared, so the time taken does not say
  // which one (if any) matched; an unknown user costs one HMAC too.
  if (candidates.empty()) ht_initiator_hash(mechanism_.hash, random_bytes(32), cb_data_);
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i].empty()) continue;
    bool equal =
        constant_time_equal(ht_initiator_hash(mechanism_.hash, candidates[i], cb_data_), hashed_token_);
    which = equal && !any ? i : which;
    any = any || equal;
  }
  if (!any) return not_authorized("invalid token");
  *matched = which;
  *responder = ht_responder_hash(mechanism_.hash, candidates[which], cb_data_);
  return std::nullopt;
}

HtClient::HtClient(HtMechanism mechanism, std::string authcid, std::string token,
                   std::string cb_data)
    : mechanism_(mechanism),
      authcid_(std::move(authcid)),
      token_(std::move(token)),
      cb_data_(std::move(cb_data)) {}

std::string HtClient::initiator() const {
  std::string msg = authcid_;
  msg.push_back('\0');
  msg += ht_initiator_hash(mechanism_.hash, token_, cb_data_);
  return msg;
}

bool HtClient::verify_responder(std::string_view responder) const {
  return constant_time_equal(responder, ht_responder_hash(mechanism_.hash, token_, cb_data_));
}

}  // namespace herald::xmpp::sasl
