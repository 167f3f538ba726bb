#include "push/v1/registrar.h"

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

// A store answer to a lookup or removal, as the caller's result.
Result result_of(store::StoreStatus status) {
  switch (status) {
    case store::StoreStatus::kOk:
      return Result::ok;
    case store::StoreStatus::kNotFound:
      return Result::not_found;
    default:
      return Result::error;
  }
}

}  // namespace

const char* to_string(Result r) {
  switch (r) {
    case Result::ok:
      return "ok";
    case Result::bad_request:
      return "bad-request";
    case Result::not_found:
      return "not-found";
    case Result::forbidden:
      return "forbidden";
    case Result::error:
      return "store-error";
  }
  return "?";
}

Registrar::Registrar(store::RegistrationStore& store, std::vector<ModuleInfo> modules, Clock clock)
    : store_(store), modules_(std::move(modules)), clock_(std::move(clock)) {}

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

Result Registrar::register_push(std::string_view type, std::string_view node,
                                std::string_view token, Registered* out) {
  auto module = resolve_module(type);
  if (!module || !valid_node(node)) return Result::bad_request;
  UpstreamKind kind = UpstreamKind::apns;
  for (const auto& m : modules_)
    if (m.name == *module) kind = m.kind;
  if (!valid_token(kind, token)) return Result::bad_request;

  std::string secret = new_secret();
  std::string hash = hash_secret(secret);
  auto now = whole_seconds(clock_());

  switch (store_.renew(node, *module, token, hash, now)) {
    case store::StoreStatus::kOk:
      *out = Registered{std::string(node), std::move(secret), true};
      log::info("v1: registration renewed, module {} token {}", *module, log::fingerprint(token));
      return Result::ok;
    case store::StoreStatus::kNotFound:
      break;
    default:
      return Result::error;
  }

  store::Registration r;
  r.node = std::string(node);
  r.secret_hash = hash;
  r.module = *module;
  r.token = std::string(token);
  r.created = now;
  r.renewed = now;
  // The asked-for node first; if another token holds it, nodes of our own.
  for (int attempt = 0; attempt < 4; ++attempt) {
    switch (store_.insert(r)) {
      case store::StoreStatus::kOk:
        log::info("v1: registered, module {} token {}{}", *module, log::fingerprint(token),
                  attempt ? " (node taken: new node assigned)" : "");
        *out = Registered{r.node, std::move(secret), false};
        return Result::ok;
      case store::StoreStatus::kExists:
        r.node = new_node_id();
        break;
      default:
        return Result::error;
    }
  }
  return Result::error;
}

Result Registrar::unregister(std::string_view node, std::string_view proof) {
  if (!valid_node(node)) return Result::bad_request;
  store::Registration r;
  if (Result found = result_of(store_.find(node, &r)); found != Result::ok) return found;
  bool owner = !proof.empty() &&
               (constant_time_equal(proof, r.token) || secret_matches(proof, r.secret_hash));
  if (!owner) return Result::forbidden;
  Result removed = result_of(store_.remove(node));
  if (removed == Result::ok)
    log::info("v1: unregistered, module {} token {}", r.module, log::fingerprint(r.token));
  return removed;
}

Result Registrar::authorize(std::string_view node, std::string_view secret, Target* out) {
  store::Registration r;
  Result result = export_data(node, secret, &r);
  if (result == Result::ok) *out = Target{std::move(r.module), std::move(r.token)};
  return result;
}

Result Registrar::export_data(std::string_view node, std::string_view secret,
                              store::Registration* out) {
  store::Registration r;
  if (Result found = result_of(store_.find(node, &r)); found != Result::ok) return found;
  if (secret.empty() || !secret_matches(secret, r.secret_hash)) return Result::forbidden;
  *out = std::move(r);
  return Result::ok;
}

bool Registrar::exists(std::string_view node) {
  return store_.find(node, nullptr) == store::StoreStatus::kOk;
}

void Registrar::record(std::string_view node, bool success) {
  outcomes_.push_back(store::PushOutcome{std::string(node), success, clock_()});
}

bool Registrar::flush() {
  if (outcomes_.empty()) return true;
  std::vector<store::PushOutcome> batch;
  batch.swap(outcomes_);
  if (store_.record_outcomes(batch)) return true;
  // Keep them for the next attempt, bounded so a dead store cannot grow memory.
  if (batch.size() < 100000) {
    batch.insert(batch.end(), outcomes_.begin(), outcomes_.end());
    outcomes_.swap(batch);
  }
  return false;
}

size_t Registrar::token_dead(std::string_view module, std::string_view token,
                             std::optional<store::TimePoint> invalid_since) {
  size_t n = store_.erase_dead_token(module, token, invalid_since);
  if (n) log::info("v1: {} registration(s) deleted, token {} dead", n, log::fingerprint(token));
  return n;
}

size_t Registrar::expire(std::chrono::seconds lifetime) {
  size_t n = store_.expire_renewed_before(clock_() - lifetime);
  if (n) log::info("v1: {} registration(s) expired (not renewed)", n);
  return n;
}

}  // namespace herald::push::v1
