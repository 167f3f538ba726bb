#include "push/v1/registrar.h"

#include <map>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log.h"
#include "push/v1/secrets.h"

namespace herald::push::v1 {

namespace {

// Old clients send UUIDs; anything printable and short is accepted.
bool valid_node(std::string_view node) {
  if (node.empty() || node.size() > 256) return false;
  for (unsigned char c : node)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

bool valid_token(UpstreamKind kind, std::string_view token) {
  if (token.empty() || token.size() > 4096) return false;
  if (kind == UpstreamKind::apns) return is_hex(token);
  for (unsigned char c : token)
    if (c <= 0x20 || c == 0x7f) return false;
  return true;
}

// Stored times are whole seconds; comparisons must agree with the store.
store::TimePoint whole_seconds(store::TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(t);
}

// A store answer to a lookup or removal, as the caller's answer.
Answer answer_of(const Status& s) {
  if (s.ok()) return Answer::ok;
  if (s.is(StatusCode::not_found)) return Answer::not_found;
  return Answer::unavailable;
}

constexpr size_t kMaxPendingOutcomes = 100000;

}  // namespace

const char* to_string(Answer a) {
  switch (a) {
    case Answer::ok:
      return "ok";
    case Answer::bad_request:
      return "bad-request";
    case Answer::not_found:
      return "not-found";
    case Answer::forbidden:
      return "forbidden";
    case Answer::unavailable:
      return "store-unavailable";
  }
  return "?";
}

// One registration on its way through renew, then insert attempts.
struct Registrar::Registering {
  store::Registration row;
  std::string secret;
  int attempts = 0;
  std::function<void(Answer, Registered)> done;
};

Registrar::Registrar(asio::any_io_executor loop, store::RegistrationStore& store,
                     std::vector<ModuleInfo> modules, Clock clock)
    : loop_(std::move(loop)),
      store_(store),
      modules_(std::move(modules)),
      clock_(std::move(clock)),
      self_(std::make_shared<Registrar*>(this)) {}

Registrar::~Registrar() {
  self_.reset();
}

std::optional<std::string> Registrar::resolve_module(std::string_view type) const {
  for (const auto& m : modules_)
    if (m.name == type) return m.name;
  std::optional<UpstreamKind> kind;
  if (type == "apns") kind = UpstreamKind::apns;
  if (type == "fcm") kind = UpstreamKind::fcm;
  if (!kind) return std::nullopt;
  const ModuleInfo* first = nullptr;
  for (const auto& m : modules_) {
    if (m.kind != *kind) continue;
    if (m.is_default) return m.name;
    if (!first) first = &m;
  }
  if (first) return first->name;
  return std::nullopt;
}

void Registrar::register_push(std::string_view type, std::string_view node,
                              std::string_view token, std::function<void(Answer, Registered)> done) {
  auto module = resolve_module(type);
  UpstreamKind kind = UpstreamKind::apns;
  for (const auto& m : modules_)
    if (module && m.name == *module) kind = m.kind;
  if (!module || !valid_node(node) || !valid_token(kind, token))
    return done(Answer::bad_request, {});

  auto r = std::make_shared<Registering>();
  r->secret = new_secret();
  r->row.node = std::string(node);
  r->row.secret_hash = hash_secret(r->secret);
  r->row.module = *module;
  r->row.token = std::string(token);
  r->row.created = r->row.renewed = whole_seconds(clock_());
  r->done = std::move(done);
  std::weak_ptr<Registrar*> weak = self_;
  store_.renew(loop_, r->row.node, r->row.module, r->row.token, r->row.secret_hash, r->row.renewed,
               [weak, r](Status s) {
                 auto self = weak.lock();
                 if (!self) return;
                 if (s.ok()) {
                   log::info("v1: registration renewed, module {} token {}", r->row.module,
                             log::fingerprint(r->row.token));
                   return r->done(Answer::ok, Registered{r->row.node, r->secret, true});
                 }
                 if (!s.is(StatusCode::not_found)) return r->done(Answer::unavailable, {});
                 (*self)->insert(r);
               });
}

// The asked-for node first; if another token holds it, nodes of our own.
void Registrar::insert(std::shared_ptr<Registering> r) {
  std::weak_ptr<Registrar*> weak = self_;
  store_.insert(loop_, r->row, [weak, r](Status s) {
    auto self = weak.lock();
    if (!self) return;
    if (s.ok()) {
      log::info("v1: registered, module {} token {}{}", r->row.module,
                log::fingerprint(r->row.token),
                r->attempts ? " (node taken: new node assigned)" : "");
      return r->done(Answer::ok, Registered{r->row.node, r->secret, false});
    }
    if (!s.is(StatusCode::exists) || ++r->attempts >= 4) return r->done(Answer::unavailable, {});
    r->row.node = new_node_id();
    (*self)->insert(r);
  });
}

void Registrar::unregister(std::string_view node, std::string_view proof,
                           std::function<void(Answer)> done) {
  if (!valid_node(node)) return done(Answer::bad_request);
  std::weak_ptr<Registrar*> weak = self_;
  store_.find(loop_, std::string(node),
              [weak, proof = std::string(proof), done = std::move(done)](
                  Result<store::Registration> found) mutable {
                auto self = weak.lock();
                if (!self) return;
                if (!found.ok()) return done(answer_of(found.status()));
                const store::Registration& r = *found;
                bool owner = !proof.empty() && (constant_time_equal(proof, r.token) ||
                                                secret_matches(proof, r.secret_hash));
                if (!owner) return done(Answer::forbidden);
                (*self)->store_.remove(
                    (*self)->loop_, r.node,
                    [module = r.module, token = r.token, done = std::move(done)](Status s) {
                      if (s.ok())
                        log::info("v1: unregistered, module {} token {}", module,
                                  log::fingerprint(token));
                      done(answer_of(s));
                    });
              });
}

void Registrar::authorize(std::string_view node, std::string_view secret,
                          std::function<void(Answer, Target)> done) {
  export_data(node, secret, [done = std::move(done)](Answer a, store::Registration r) {
    done(a, Target{std::move(r.module), std::move(r.token)});
  });
}

void Registrar::export_data(std::string_view node, std::string_view secret,
                            std::function<void(Answer, store::Registration)> done) {
  store_.find(loop_, std::string(node),
              [secret = std::string(secret), done = std::move(done)](
                  Result<store::Registration> found) {
                if (!found.ok()) return done(answer_of(found.status()), {});
                if (secret.empty() || !secret_matches(secret, found->secret_hash))
                  return done(Answer::forbidden, {});
                done(Answer::ok, std::move(found).value());
              });
}

void Registrar::exists(std::string_view node, std::function<void(bool)> done) {
  store_.find(loop_, std::string(node),
              [done = std::move(done)](Result<store::Registration> found) { done(found.ok()); });
}

void Registrar::record(std::string_view node, bool success) {
  if (outcomes_.size() >= kMaxPendingOutcomes) return;  // the store is gone for long: times only
  outcomes_.push_back(store::PushOutcome{std::string(node), success, clock_()});
}

void Registrar::flush(std::function<void(Status)> done) {
  if (flushing_ || outcomes_.empty()) {
    if (done) done(Status::Ok());
    return;
  }
  // Only the latest success and the latest error of each node matter.
  std::map<std::pair<std::string, bool>, store::TimePoint> latest;
  for (auto& o : outcomes_) {
    auto [it, fresh] = latest.try_emplace({std::move(o.node), o.success}, o.at);
    if (!fresh && it->second < o.at) it->second = o.at;
  }
  outcomes_.clear();
  std::vector<store::PushOutcome> batch;
  batch.reserve(latest.size());
  for (auto& [key, at] : latest) batch.push_back({key.first, key.second, at});
  flushing_ = true;
  std::weak_ptr<Registrar*> weak = self_;
  store_.record_outcomes(loop_, batch, [weak, batch, done = std::move(done)](Status s) {
    auto self = weak.lock();
    if (!self) return;
    Registrar& r = **self;
    r.flushing_ = false;
    if (!s.ok()) {
      log::info("v1: push times not written ({}); kept for the next flush", s.to_string());
      // Kept for the next attempt, bounded so a dead store cannot grow memory.
      if (r.outcomes_.size() + batch.size() <= kMaxPendingOutcomes)
        r.outcomes_.insert(r.outcomes_.begin(), batch.begin(), batch.end());
    }
    if (done) done(s);
  });
}

void Registrar::token_dead(std::string_view module, std::string_view token,
                           std::optional<store::TimePoint> invalid_since,
                           std::function<void(Result<size_t>)> done) {
  store_.erase_dead_token(loop_, std::string(module), std::string(token), invalid_since,
                          [token = std::string(token), done = std::move(done)](Result<size_t> n) {
                            if (n.ok() && *n)
                              log::info("v1: {} registration(s) deleted, token {} dead", *n,
                                        log::fingerprint(token));
                            if (!n.ok())
                              log::info("v1: registrations of dead token {} not deleted ({})",
                                        log::fingerprint(token), n.status().to_string());
                            if (done) done(std::move(n));
                          });
}

void Registrar::expire(std::chrono::seconds lifetime, std::function<void(Result<size_t>)> done) {
  store_.expire_renewed_before(loop_, clock_() - lifetime,
                               [done = std::move(done)](Result<size_t> n) {
                                 if (n.ok() && *n)
                                   log::info("v1: {} registration(s) expired (not renewed)", *n);
                                 if (!n.ok())
                                   log::info("v1: expiry job failed ({}); next run",
                                             n.status().to_string());
                                 if (done) done(std::move(n));
                               });
}

}  // namespace herald::push::v1
