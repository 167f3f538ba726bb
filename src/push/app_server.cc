#include "push/app_server.h"

#include "base/crypto.h"
#include "base/log.h"
#include "push/publish.h"
#include "push/reply_policy.h"
#include "push/v1/adhoc.h"
#include "xmpp/iq.h"
#include "xmpp/jid.h"

namespace herald::push {

namespace {

constexpr std::string_view kDiscoInfoNs = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kPingNs = "urn:xmpp:ping";

// The domain part of a JID: what may be logged at info level.
std::string domain_of(std::string_view jid) {
  if (auto slash = jid.find('/'); slash != std::string_view::npos) jid = jid.substr(0, slash);
  if (auto at = jid.find('@'); at != std::string_view::npos) jid = jid.substr(at + 1);
  return std::string(jid);
}

std::string outcome_name(const ReplyPlan& plan, UpstreamStatus status) {
  return plan.success ? "delivered" : to_string(status);
}

// The request without its payload: all a reply needs, kept while the store
// or Redis answers.
xml::Element envelope_of(const xml::Element& iq) {
  xml::Element envelope(iq.name(), iq.ns());
  envelope.mutable_attributes() = iq.attributes();
  return envelope;
}

}  // namespace

struct AppServer::Held {
  explicit Held(asio::io_context& io) : timer(io) {}
  std::string token;
  std::string module_name;
  std::string from_domain;
  std::string v1_node;
  bool important = false;
  asio::steady_timer timer;
};

// One publish sent upstream and not yet answered.
struct AppServer::Pending {
  explicit Pending(asio::io_context& io) : timer(io) {}
  xml::Element envelope;  // the request without payload, to build the reply
  std::string from_domain;
  std::string token;       // for the outcome
  std::string token_hash;  // SHA-256, for the log line's fingerprint
  bool answered = false;
  asio::steady_timer timer;  // reply_timeout
};

AppServer::AppServer(asio::io_context& io, std::string domain, xmpp::StanzaSender& sender,
                     std::vector<PushModuleConfig> modules, Tombstones& tombstones,
                     AppServerOptions options)
    : io_(io),
      domain_(xmpp::normalize_domain(domain).value_or(domain)),
      sender_(sender),
      tombstones_(tombstones),
      options_(options),
      limiter_(options.rate_limit),
      self_(std::make_shared<AppServer*>(this)) {
  for (auto& m : modules) {
    if (!m.upstream) {
      log::error("push module {} has no upstream: ignored", m.name);
      continue;
    }
    if (m.is_default) {
      if (default_module_)
        log::warn("push module {}: a second default module, ignored", m.name);
      else
        default_module_ = m.name;
    }
    std::string name = m.name;
    modules_.emplace(std::move(name),
                     Module{std::move(m), std::nullopt, UpstreamBackoff(options_.backoff)});
  }
}

AppServer::~AppServer() {
  // Pending timers see the weak pointer expire and do nothing.
  self_.reset();
}

bool AppServer::addressed_to_domain(const xml::Element& iq) const {
  const std::string* to = iq.attr("to");
  if (!to || *to == domain_) return true;
  // 'PUSH.example.org' and 'push.example.org.' name the domain too.
  auto jid = xmpp::Jid::parse(*to);
  return jid && jid->is_domain() && jid->domain() == domain_;
}

void AppServer::handle(xml::Element stanza) {
  if (stanza.name() != "iq") return;  // messages and presences: nothing to do
  std::string_view type = stanza.attr_or("type");
  if (type == "result" || type == "error") return;  // never answer an answer
  if (type == "get") {
    handle_get(stanza);
  } else if (type == "set" && is_publish(stanza)) {
    handle_publish(stanza);
  } else if (type == "set" && v1_ && v1::is_command(stanza) && addressed_to_domain(stanza)) {
    std::weak_ptr<AppServer*> weak = self_;
    v1::handle_command(stanza, *v1_, domain_, [weak](xml::Element reply) {
      if (auto self = weak.lock()) (*self)->sender_.send(std::move(reply));
    });
  } else if (type == "set") {
    ++counters_.unsupported;
    sender_.send(xmpp::make_error(stanza, xmpp::ErrorType::cancel, "service-unavailable"));
  } else {
    sender_.send(xmpp::make_error(stanza, xmpp::ErrorType::modify, "bad-request"));
  }
}

void AppServer::handle_get(const xml::Element& iq) {
  const xml::Element* disco = iq.child("query", kDiscoInfoNs);
  if (disco && addressed_to_domain(iq) && !disco->attr("node")) {
    ++counters_.disco_info;
    xml::Element reply = xmpp::make_result(iq);
    xml::Element& query = reply.add_child("query", std::string(kDiscoInfoNs));
    query.add_child("identity", std::string(kDiscoInfoNs))
        .set_attr("category", "pubsub")
        .set_attr("type", "push");
    for (const char* feature : {"urn:xmpp:push:0", "urn:xmpp:ping", kDiscoInfoNs.data()})
      query.add_child("feature", std::string(kDiscoInfoNs)).set_attr("var", feature);
    if (v1_)
      query.add_child("feature", std::string(kDiscoInfoNs))
          .set_attr("var", std::string(v1::kCommandsNs));
    sender_.send(std::move(reply));
    return;
  }
  const xml::Element* items = iq.child("query", "http://jabber.org/protocol/disco#items");
  if (v1_ && items && addressed_to_domain(iq) && items->attr_or("node") == v1::kCommandsNs) {
    sender_.send(v1::command_items(iq, domain_));
    return;
  }
  if (iq.child("ping", kPingNs) && addressed_to_domain(iq)) {
    ++counters_.pings;
    log::debug("ping from {}", log::Jid{iq.attr_or("from")});
    sender_.send(xmpp::make_result(iq));
    return;
  }
  ++counters_.unsupported;
  sender_.send(xmpp::make_error(iq, xmpp::ErrorType::cancel, "service-unavailable"));
}

AppServer::Module* AppServer::find_module(const std::optional<std::string>& name) {
  const std::optional<std::string>& wanted = name ? name : default_module_;
  if (!wanted) return nullptr;
  auto it = modules_.find(*wanted);
  return it == modules_.end() ? nullptr : &it->second;
}

void AppServer::handle_publish(const xml::Element& iq) {
  ++counters_.publishes;
  const std::string from_domain = domain_of(iq.attr_or("from"));
  auto parsed = parse_publish(iq);
  if (auto* error = std::get_if<PublishError>(&parsed)) {
    ++counters_.bad_request;
    log::info("publish from {}: bad-request ({})", from_domain, error->text);
    sender_.send(xmpp::make_error(iq, xmpp::ErrorType::modify, "bad-request", error->text));
    return;
  }
  const Publish& publish = std::get<Publish>(parsed);

  // v1 publishes name a registration node and carry its secret: the node's
  // registration, read from the store, gives the module and the token.
  if (publish.v1() && v1_) {
    std::weak_ptr<AppServer*> weak = self_;
    v1_->authorize(publish.node, *publish.secret,
                   [weak, iq = envelope_of(iq), from_domain, node = publish.node,
                    important = publish.important](v1::Answer a, v1::Target target) {
                     auto self = weak.lock();
                     if (!self) return;
                     (*self)->authorized(iq, from_domain, node, important, a, std::move(target));
                   });
    return;
  }
  if (publish.v1()) {
    ++counters_.v1_refused;
    log::info("publish from {} module - outcome v1-unknown-node token {}", from_domain,
              log::Fingerprint{publish.node});
    sender_.send(
        xmpp::make_error(iq, xmpp::ErrorType::cancel, "item-not-found", "unknown v1 registration"));
    return;
  }
  route(iq, from_domain, publish.node, publish.push_module, publish.important, {});
}

void AppServer::authorized(const xml::Element& iq, const std::string& from_domain,
                           const std::string& node, bool important, v1::Answer answer,
                           v1::Target target) {
  if (answer != v1::Answer::ok) {
    ++counters_.v1_refused;
    log::info("publish from {} module - outcome v1-{} node {}", from_domain, v1::to_string(answer),
              log::Fingerprint{node});
    if (answer == v1::Answer::forbidden)
      sender_.send(xmpp::make_error(iq, xmpp::ErrorType::cancel, "forbidden", "wrong secret"));
    else if (answer == v1::Answer::not_found)
      sender_.send(xmpp::make_error(iq, xmpp::ErrorType::cancel, "item-not-found",
                                    "unknown v1 registration"));
    else  // the store failed or did not answer in time: the publisher retries
      sender_.send(xmpp::make_error(iq, xmpp::ErrorType::wait, "internal-server-error",
                                    "registration store unavailable, retry later"));
    return;
  }
  route(iq, from_domain, target.token, target.module, important, node);
}

void AppServer::route(const xml::Element& iq, const std::string& from_domain,
                      const std::string& token, const std::optional<std::string>& wanted_module,
                      bool important, const std::string& v1_node) {
  Module* module = find_module(wanted_module);
  if (!module) {
    // Transient on purpose: a configuration edit must not wipe registrations.
    ++counters_.unknown_module;
    log::info("publish from {} module {} outcome unknown-module token {}", from_domain,
              wanted_module.value_or("-"), log::Fingerprint{token});
    sender_.send(xmpp::make_error(iq, xmpp::ErrorType::wait, "internal-server-error",
                                  "unknown push module"));
    return;
  }
  const std::string& module_name = module->config.name;

  if (!module->config.upstream->token_plausible(token)) {
    ++counters_.bad_request;
    log::info("publish from {} module {} outcome implausible-token token {}", from_domain,
              module_name, log::Fingerprint{token});
    sender_.send(xmpp::make_error(iq, xmpp::ErrorType::modify, "bad-request",
                                  "not a device token for this push module"));
    return;
  }

  // Hashed once: the tombstone key and every log line's fingerprint.
  std::string token_hash = sha256(token);
  if (tombstones_.is_dead_hashed(token_hash, std::chrono::system_clock::now())) {
    ++counters_.tombstoned;
    log::info("publish from {} module {} outcome tombstoned token {}", from_domain, module_name,
              log::TokenHash{token_hash});
    sender_.send(xmpp::make_error(iq, xmpp::ErrorType::cancel, "item-not-found",
                                  "device token unregistered"));
    return;
  }

  auto now = std::chrono::steady_clock::now();
  if (const char* why = module->backoff.refusal(token, now)) {
    ++counters_.backing_off;
    log::info("publish from {} module {} outcome backing-off token {}", from_domain, module_name,
              log::TokenHash{token_hash});
    sender_.send(xmpp::make_error(iq, xmpp::ErrorType::wait, "resource-constraint", why));
    return;
  }

  PushJob job{token, important};
  if (!options_.shared_rate_limit) {
    decide(iq, from_domain, *module, std::move(job), token_hash, v1_node,
           limiter_.check(token, now));
    return;
  }
  // Redis decides (or this node's own limiter, within Redis's timeout).
  std::weak_ptr<AppServer*> weak = self_;
  options_.shared_rate_limit->check(
      token, now,
      [weak, iq = envelope_of(iq), from_domain, module, job = std::move(job),
       token_hash = std::move(token_hash), v1_node](RateVerdict verdict) mutable {
        auto self = weak.lock();
        if (!self) return;
        (*self)->decide(iq, from_domain, *module, std::move(job), token_hash, v1_node, verdict);
      });
}

void AppServer::decide(const xml::Element& iq, const std::string& from_domain, Module& module,
                       PushJob job, const std::string& token_hash, const std::string& v1_node,
                       RateVerdict verdict) {
  const std::string& module_name = module.config.name;
  switch (verdict.decision) {
    case RateDecision::send_now:
      send_now(iq, from_domain, module, std::move(job), token_hash, v1_node);
      return;
    case RateDecision::hold:
      ++counters_.held;
      log::info("publish from {} module {} outcome held token {}", from_domain, module_name,
                log::TokenHash{token_hash});
      hold(from_domain, module_name, std::move(job), verdict.send_at, v1_node);
      break;
    case RateDecision::absorb:
      ++counters_.absorbed;
      log::info("publish from {} module {} outcome absorbed token {}", from_domain, module_name,
                log::TokenHash{token_hash});
      if (auto it = held_.find(job.token); it != held_.end())
        it->second->important = it->second->important || job.important;
      break;
  }
  // Coalesced pushes are accepted: answered with a result, never an error.
  sender_.send(xmpp::make_result(iq));
}

ReplyPlan AppServer::apply_outcome(Module& module, const std::string& token,
                                   const UpstreamResult& result, const std::string& v1_node) {
  auto now = std::chrono::steady_clock::now();
  bool recent = module.last_success && now - *module.last_success < options_.recent_success_period;
  ReplyPlan plan = plan_reply(result.status, recent);
  module.backoff.record(token, result, now);
  switch (result.status) {
    case UpstreamStatus::delivered:
      ++counters_.delivered;
      module.last_success = now;
      break;
    case UpstreamStatus::token_dead:
      ++counters_.token_dead;
      break;
    case UpstreamStatus::token_invalid:
      ++counters_.token_invalid;
      break;
    default:
      ++counters_.upstream_error;
      break;
  }
  // Batched: the store is written by the flush job, not on this path.
  if (v1_ && !v1_node.empty()) v1_->record(v1_node, result.status == UpstreamStatus::delivered);
  if (plan.bury) {
    auto until = std::chrono::system_clock::now() + options_.tombstone_lifetime;
    std::optional<std::chrono::system_clock::time_point> since;
    if (result.dead_since_ms)
      since = std::chrono::system_clock::time_point(std::chrono::milliseconds(*result.dead_since_ms));
    // A v1 registration renewed after Apple's timestamp holds a token the app
    // got again: then the token is alive, and no tombstone. That needs the
    // store's answer; every other dead token is buried at once.
    bool ask_store = v1_ && !v1_node.empty() && since;
    if (!ask_store) tombstones_.bury(token, until);
    if (v1_) {
      std::weak_ptr<AppServer*> weak = self_;
      v1_->token_dead(module.config.name, token, since,
                      [weak, ask_store, v1_node, token, until](Result<size_t>) {
                        auto self = weak.lock();
                        if (!self || !ask_store) return;
                        (*self)->v1_->exists(v1_node, [weak, token, until](bool kept) {
                          auto self = weak.lock();
                          if (self && !kept) (*self)->tombstones_.bury(token, until);
                        });
                      });
    }
  }
  if (plan.suspect_environment_mixup) {
    log::warn(
        "push module {}: device token refused ({}) and no delivery succeeded recently: "
        "sandbox/production mix-up? token kept",
        module.config.name, result.reason);
  }
  return plan;
}

void AppServer::send_now(const xml::Element& iq, const std::string& from_domain, Module& module,
                         PushJob job, const std::string& token_hash, const std::string& v1_node) {
  auto pending = std::make_shared<Pending>(io_);
  pending->envelope = xml::Element(iq.name(), iq.ns());
  pending->envelope.mutable_attributes() = iq.attributes();
  if (!iq.attr("to")) pending->envelope.set_attr("to", domain_);
  pending->from_domain = from_domain;
  pending->token = job.token;
  pending->token_hash = token_hash;

  std::weak_ptr<AppServer*> weak = self_;
  pending->timer.expires_after(options_.reply_timeout);
  pending->timer.async_wait(
      [weak, pending, module_name = module.config.name](const std::error_code& ec) {
        if (ec || weak.expired() || pending->answered) return;
        AppServer& self = **weak.lock();
        pending->answered = true;
        ++self.counters_.timed_out;
        log::info("publish from {} module {} outcome timeout token {}", pending->from_domain,
                  module_name, log::TokenHash{pending->token_hash});
        self.sender_.send(xmpp::make_error(pending->envelope, xmpp::ErrorType::wait,
                                           "internal-server-error", "push service did not answer"));
      });

  Module* m = &module;  // modules_ never changes after construction
  m->config.upstream->send(job, [weak, pending, m, v1_node](UpstreamResult result) {
    auto locked = weak.lock();
    if (!locked) return;
    AppServer& self = **locked;
    ReplyPlan plan = self.apply_outcome(*m, pending->token, result, v1_node);
    if (pending->answered) {
      // Already answered `wait` on timeout; the outcome still counts.
      log::debug("late outcome {} for {}", to_string(result.status),
                 log::TokenHash{pending->token_hash});
      return;
    }
    pending->answered = true;
    pending->timer.cancel();
    log::info("publish from {} module {} outcome {} token {}", pending->from_domain, m->config.name,
              outcome_name(plan, result.status), log::TokenHash{pending->token_hash});
    if (plan.success) {
      self.sender_.send(xmpp::make_result(pending->envelope));
    } else {
      self.sender_.send(
          xmpp::make_error(pending->envelope, plan.error_type, plan.condition, plan.text));
    }
  });
}

void AppServer::hold(const std::string& from_domain, const std::string& module_name, PushJob job,
                     std::chrono::steady_clock::time_point send_at, const std::string& v1_node) {
  auto& slot = held_[job.token];
  if (slot) {
    // Only after the rate limiter evicted a held token: keep the one timer.
    slot->important = slot->important || job.important;
    return;
  }
  slot = std::make_unique<Held>(io_);
  slot->token = job.token;
  slot->module_name = module_name;
  slot->from_domain = from_domain;
  slot->v1_node = v1_node;
  slot->important = job.important;
  std::weak_ptr<AppServer*> weak = self_;
  slot->timer.expires_at(flush_held_ ? std::chrono::steady_clock::now() : send_at);
  slot->timer.async_wait([weak, token = job.token](const std::error_code& ec) {
    auto locked = weak.lock();
    if (ec || !locked) return;
    (*locked)->send_held(token);
  });
}

size_t AppServer::send_held_now() {
  flush_held_ = true;
  std::vector<std::string> tokens;
  for (const auto& [token, held] : held_) tokens.push_back(token);
  for (const auto& token : tokens) send_held(token);  // its timer dies with it
  return tokens.size();
}

void AppServer::send_held(const std::string& token) {
  auto it = held_.find(token);
  if (it == held_.end()) return;
  std::unique_ptr<Held> held = std::move(it->second);
  held_.erase(it);
  if (options_.shared_rate_limit)
    options_.shared_rate_limit->release(token, std::chrono::steady_clock::now());
  else
    limiter_.release(token, std::chrono::steady_clock::now());

  // The push sent at the window's start may have shown the token dead.
  // Hashed once, as in handle_publish: tombstone key and log fingerprint.
  std::string token_hash = sha256(token);
  if (tombstones_.is_dead_hashed(token_hash, std::chrono::system_clock::now())) {
    ++counters_.tombstoned;
    log::info("held push from {} module {} outcome tombstoned token {}", held->from_domain,
              held->module_name, log::TokenHash{token_hash});
    return;
  }
  auto mod = modules_.find(held->module_name);
  if (mod == modules_.end()) return;
  Module* m = &mod->second;
  std::weak_ptr<AppServer*> weak = self_;
  ++held_sending_;
  m->config.upstream->send(
      PushJob{token, held->important},
      [weak, m, token, token_hash = std::move(token_hash), from_domain = held->from_domain,
       v1_node = held->v1_node](UpstreamResult result) {
        auto locked = weak.lock();
        if (!locked) return;
        --(*locked)->held_sending_;
        ReplyPlan plan = (*locked)->apply_outcome(*m, token, result, v1_node);
        log::info("held push from {} module {} outcome {} token {}", from_domain, m->config.name,
                  outcome_name(plan, result.status), log::TokenHash{token_hash});
      });
}

}  // namespace herald::push
