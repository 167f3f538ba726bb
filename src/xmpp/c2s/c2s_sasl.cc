#include "xmpp/c2s/c2s_sasl.h"

#include <algorithm>

#include "base/crypto.h"

namespace herald::xmpp {
namespace {

using Step = C2sSasl::Step;

constexpr sasl::Hash kScramHashes[] = {sasl::Hash::sha512, sasl::Hash::sha256, sasl::Hash::sha1};

std::string scram_name(sasl::Hash hash, bool plus) {
  return "SCRAM-" + std::string(sasl::hash_name(hash)) + (plus ? "-PLUS" : "");
}

Step failure(std::string condition, std::string text = {}) {
  Step s;
  s.kind = Step::Kind::failure;
  s.condition = std::move(condition);
  s.text = std::move(text);
  return s;
}

Step failure(const sasl::SaslFailure& f) {
  return failure(f.condition, f.text);
}

Step challenge(std::string data) {
  Step s;
  s.kind = Step::Kind::challenge;
  s.data = std::move(data);
  return s;
}

Step temporary_failure() {
  return failure("temporary-auth-failure", "try again later");
}

const std::string& unknown_user_secret(const C2sConfig& config) {
  static const std::string per_process = random_bytes(32);
  return config.unknown_user_secret.empty() ? per_process : config.unknown_user_secret;
}

}  // namespace

std::vector<std::string> C2sSasl::mechanisms(const C2sConfig& config, bool tls,
                                             const sasl::ChannelBindings& bindings) {
  std::vector<std::string> out;
  if (!tls) return out;
  if (!bindings.offered.empty())
    for (auto h : kScramHashes) out.push_back(scram_name(h, true));
  for (auto h : kScramHashes) out.push_back(scram_name(h, false));
  if (config.allow_plain) out.push_back("PLAIN");
  return out;
}

std::shared_ptr<C2sSasl> C2sSasl::create(C2sHost& host, std::string domain, bool tls,
                                         sasl::ChannelBindings bindings) {
  return std::shared_ptr<C2sSasl>(new C2sSasl(host, std::move(domain), tls, std::move(bindings)));
}

C2sSasl::C2sSasl(C2sHost& host, std::string domain, bool tls, sasl::ChannelBindings bindings)
    : host_(host), domain_(std::move(domain)), tls_(tls), bindings_(std::move(bindings)) {}

std::optional<Jid> C2sSasl::account(const std::string& username) const {
  if (username.empty() || username.find_first_of("@/") != std::string::npos) return std::nullopt;
  auto jid = Jid::parse(username + "@" + domain_);
  if (!jid || jid->local().empty()) return std::nullopt;
  return jid;
}

void C2sSasl::start(const std::string& mechanism, std::optional<std::string> initial, Done done) {
  if (phase_ != Phase::idle) return done(failure("malformed-request", "an exchange is running"));
  phase_ = Phase::finished;  // unless a step below goes on
  mechanism_ = mechanism;
  if (!tls_) return done(failure("encryption-required", "start TLS first"));
  auto offered = mechanisms(host_.c2s_config(), tls_, bindings_);
  if (std::find(offered.begin(), offered.end(), mechanism) == offered.end())
    return done(failure("invalid-mechanism"));
  if (mechanism != "PLAIN") {
    for (auto h : kScramHashes)
      for (bool plus : {true, false})
        if (scram_name(h, plus) == mechanism) {
          hash_ = h;
          scram_.emplace(h, plus, bindings_);
        }
  }
  phase_ = Phase::initial;
  // No initial response: an empty challenge asks for it (RFC 6120 6.4.2).
  if (!initial) return done(challenge({}));
  respond(*initial, std::move(done));
}

void C2sSasl::respond(const std::string& response, Done done) {
  switch (phase_) {
    case Phase::initial:
      if (scram_) return scram_first(response, std::move(done));
      return plain(response, std::move(done));
    case Phase::final:
      return scram_final(response, std::move(done));
    case Phase::idle:
    case Phase::finished:
      break;
  }
  done(failure("malformed-request", "no exchange is running"));
}

void C2sSasl::scram_first(const std::string& message, Done done) {
  phase_ = Phase::finished;
  sasl::ScramServer::ClientFirst first;
  if (auto f = scram_->client_first(message, &first)) return done(failure(*f));
  jid_ = account(first.username);
  if (jid_ && !first.authzid.empty() && first.authzid != jid_->str())
    return done(failure("invalid-authzid"));
  const C2sConfig& config = host_.c2s_config();
  if (!jid_) {
    phase_ = Phase::final;
    return done(challenge(scram_->server_first_unknown(unknown_user_secret(config),
                                                       config.scram_iterations)));
  }
  auto self = shared_from_this();
  host_.lookup_credentials(
      domain_, jid_->local(), hash_,
      [self, done = std::move(done)](Result<sasl::ScramCredentials> found) {
        const C2sConfig& config = self->host_.c2s_config();
        if (!found.ok() && !found.status().is(StatusCode::not_found)) return done(temporary_failure());
        self->phase_ = Phase::final;
        if (!found.ok())
          return done(challenge(self->scram_->server_first_unknown(unknown_user_secret(config),
                                                                   config.scram_iterations)));
        done(challenge(self->scram_->server_first(*found)));
      });
}

void C2sSasl::scram_final(const std::string& message, Done done) {
  phase_ = Phase::finished;
  Step success;
  if (auto f = scram_->client_final(message, &success.data)) return done(failure(*f));
  if (!jid_) return done(failure("not-authorized"));
  success.kind = Step::Kind::success;
  success.jid = jid_;
  done(std::move(success));
}

void C2sSasl::plain(const std::string& message, Done done) {
  phase_ = Phase::finished;
  sasl::PlainMessage parsed;
  if (auto f = sasl::parse_plain(message, &parsed)) return done(failure(*f));
  jid_ = account(parsed.username);
  if (!jid_) return done(failure("not-authorized"));
  if (!parsed.authzid.empty() && parsed.authzid != jid_->str())
    return done(failure("invalid-authzid"));
  auto self = shared_from_this();
  host_.check_password(domain_, jid_->local(), parsed.password,
                       [self, done = std::move(done)](Result<bool> matches) {
                         if (!matches.ok()) return done(temporary_failure());
                         if (!*matches) return done(failure("not-authorized"));
                         Step success;
                         success.kind = Step::Kind::success;
                         success.jid = self->jid_;
                         done(std::move(success));
                       });
}

}  // namespace herald::xmpp
