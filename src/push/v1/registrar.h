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
// kind (else the first configured one).
//
// Asynchronous: every call that needs the store answers through `done` on
// the registrar's loop, within the store's answer bound (store/database.h:
// 4.5 s with the defaults); a request refused before the store is asked
// (bad_request) is answered before the call returns. A store that failed
// or did not answer in time is `unavailable` (callers answer `wait`), never
// not_found. Used from that loop only. Never logs a secret, token or node.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
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

enum class Answer {
  ok,
  bad_request,  // missing or malformed field, unknown type
  not_found,    // no such node
  forbidden,    // wrong or missing secret/token for the node
  unavailable,  // the store failed or did not answer in time: transient
};
const char* to_string(Answer a);

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
  Registrar(asio::any_io_executor loop, store::RegistrationStore& store,
            std::vector<ModuleInfo> modules,
            Clock clock = [] { return std::chrono::system_clock::now(); });
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  std::optional<std::string> resolve_module(std::string_view type) const;

  void register_push(std::string_view type, std::string_view node, std::string_view token,
                     std::function<void(Answer, Registered)> done);
  // `proof` is the registration's token or its secret.
  void unregister(std::string_view node, std::string_view proof, std::function<void(Answer)> done);
  // For a publish carrying node + secret.
  void authorize(std::string_view node, std::string_view secret,
                 std::function<void(Answer, Target)> done);
  // Everything held about the node, for its registrant (v1-export-data).
  void export_data(std::string_view node, std::string_view secret,
                   std::function<void(Answer, store::Registration)> done);
  // Whether the node is registered (false also when the store failed).
  void exists(std::string_view node, std::function<void(bool)> done);

  // Queues a push result; flush() writes the queue in one batch (the latest
  // success and error per node), one batch at a time. Failed batches are
  // kept for the next flush, up to 100,000 results.
  void record(std::string_view node, bool success);
  size_t pending_outcomes() const { return outcomes_.size(); }
  bool flushing() const { return flushing_; }
  void flush(std::function<void(Status)> done = nullptr);
  // The upstream reported the token dead (see RegistrationStore); `done`
  // gets how many registrations were deleted.
  void token_dead(std::string_view module, std::string_view token,
                  std::optional<store::TimePoint> invalid_since,
                  std::function<void(Result<size_t>)> done = nullptr);
  // Deletes registrations not renewed within `lifetime`.
  void expire(std::chrono::seconds lifetime, std::function<void(Result<size_t>)> done = nullptr);

 private:
  struct Registering;
  void insert(std::shared_ptr<Registering> r);

  asio::any_io_executor loop_;
  store::RegistrationStore& store_;
  std::vector<ModuleInfo> modules_;
  Clock clock_;
  std::vector<store::PushOutcome> outcomes_;
  bool flushing_ = false;
  // Store answers hold a weak_ptr: once the registrar is gone they do nothing.
  std::shared_ptr<Registrar*> self_;
};

}  // namespace herald::push::v1
