// The v1 registration logic on top of a RegistrationStore, shared by the
// ad-hoc commands, the HTTP endpoints and the publish path.
//
// Re-registration rule (docs/protocol.md "v1 registration"): a node id
// belongs to the first token registered under it. Registering a known node
// again with the same type and token is a renewal by its owner (knowing the
// device token is the proof): `renewed` moves and a new secret replaces the
// old one, which stops working. Registering a known node with another token
// cannot be told apart from a stranger who learned the node, so the caller
// gets a fresh node chosen by Herald (and a secret for it); the existing
// registration and its pushes stay untouched until it expires or its token
// dies. Unregistering needs the node plus its token or its secret.
//
// `type` is a push module name, or "apns"/"fcm" for the default module of that
// kind (else the first configured one). Not thread-safe; Herald calls it on
// its one io thread. Never logs a secret, token or node.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "push/module.h"
#include "store/registration_store.h"

namespace herald::push::v1 {

struct ModuleInfo {
  std::string name;
  UpstreamKind kind = UpstreamKind::apns;
  bool is_default = false;
};

enum class Result {
  ok,
  bad_request,  // missing or malformed field, unknown type
  not_found,    // no such node
  forbidden,    // wrong or missing secret/token for the node
  error,        // the store failed: transient
};
const char* to_string(Result r);

struct Registered {
  std::string node;    // may differ from the one asked for (see above)
  std::string secret;  // plaintext, for the registrant only
  bool renewed = false;
};

// Where a v1 publish goes.
struct Target {
  std::string module;
  std::string token;
};

class Registrar {
 public:
  using Clock = std::function<store::TimePoint()>;

  // `store` must outlive the registrar.
  Registrar(store::RegistrationStore& store, std::vector<ModuleInfo> modules,
            Clock clock = [] { return std::chrono::system_clock::now(); });

  std::optional<std::string> resolve_module(std::string_view type) const;

  Result register_push(std::string_view type, std::string_view node, std::string_view token,
                       Registered* out);
  // `proof` is the registration's token or its secret.
  Result unregister(std::string_view node, std::string_view proof);
  // For a publish carrying node + secret.
  Result authorize(std::string_view node, std::string_view secret, Target* out);
  // Everything held about the node, for its registrant (v1-export-data).
  Result export_data(std::string_view node, std::string_view secret, store::Registration* out);
  bool exists(std::string_view node);

  // Queues a push result; flush() writes the queue in one batch.
  void record(std::string_view node, bool success);
  size_t pending_outcomes() const { return outcomes_.size(); }
  bool flush();
  // The upstream reported the token dead (see RegistrationStore).
  size_t token_dead(std::string_view module, std::string_view token,
                    std::optional<store::TimePoint> invalid_since);
  // Deletes registrations not renewed within `lifetime`.
  size_t expire(std::chrono::seconds lifetime);

 private:
  store::RegistrationStore& store_;
  std::vector<ModuleInfo> modules_;
  Clock clock_;
  std::vector<store::PushOutcome> outcomes_;
};

}  // namespace herald::push::v1
