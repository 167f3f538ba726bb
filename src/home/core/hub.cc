#include "home/core/hub.h"

#include "home/core/hub_state.h"

#include <stdexcept>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log.h"
#include "xmpp/iq.h"

namespace herald::home::core {
namespace {

constexpr std::string_view kClientNs = "jabber:client";
constexpr std::string_view kServerNs = "jabber:server";

bool is_request(const xml::Element& s) {
  std::string_view type = s.attr_or("type");
  return s.name() == "iq" && (type == "get" || type == "set");
}

// Presence types the hub does not route itself (RFC 6121 3, 4.3).
bool is_subscription_or_probe(std::string_view type) {
  return type == "subscribe" || type == "subscribed" || type == "unsubscribe" ||
         type == "unsubscribed" || type == "probe";
}

}  // namespace

Hub::Hub(net::LoopPool& loops, HubConfig config, const xmpp::C2sConfig& c2s, Services& services,
         xmpp::StanzaSender& router)
    : loops_(loops), config_(std::move(config)), c2s_(c2s), services_(services), router_(router) {
  for (const auto& h : config_.hosts) {
    auto normal = xmpp::normalize_domain(h);
    if (!normal) throw std::invalid_argument("hub: \"" + h + "\" is not a domain");
    hosts_.insert(*normal);
  }
  for (size_t i = 0; i < loops_.size(); ++i) states_.push_back(std::make_unique<LoopState>());
}

Hub::~Hub() = default;

void Hub::start() {
  services_.freeze();
}

template <typename F>
void Hub::run_on(size_t index, F&& f) {
  if (loops_.on_loop(index))
    f();
  else
    loops_.post(index, std::forward<F>(f));
}

size_t Hub::here() const {
  auto current = loops_.current();
  if (!current) throw std::logic_error("hub: a session call from outside the hub's loops");
  return *current;
}

size_t Hub::account_loop(const xmpp::Jid& bare) const {
  return std::hash<std::string>{}(bare.str()) % loops_.size();
}

Account* Hub::find_account(size_t loop, const std::string& bare) {
  auto& accounts = state(loop).accounts;
  auto it = accounts.find(bare);
  return it == accounts.end() ? nullptr : &it->second;
}

// --- binding -----------------------------------------------------------------

void Hub::bind(std::shared_ptr<Session> session, const xmpp::Jid& bare,
               const std::string& requested, std::function<void(Result<xmpp::Jid>)> done) {
  std::optional<xmpp::Jid> full;
  if (!requested.empty()) {
    full = xmpp::Jid::parse(bare.str() + "/" + requested);
    if (!full) {
      loops_.post(session->loop(), [done = std::move(done)] { done(Invalid("bad resource")); });
      return;
    }
  }
  state(session->loop()).binding.insert(session.get());
  run_on(account_loop(bare), [this, session = std::move(session), bare = bare.bare(),
                              full = std::move(full), done = std::move(done)]() mutable {
    bind_here(std::move(session), std::move(bare), std::move(full), std::move(done));
  });
}

void Hub::bind_here(std::shared_ptr<Session> session, xmpp::Jid bare,
                    std::optional<xmpp::Jid> requested,
                    std::function<void(Result<xmpp::Jid>)> done) {
  size_t here = account_loop(bare);
  // The answer, on the session's loop: the session is known as bound there
  // before `done` runs and before any stanza this loop delivers to it
  // (posted after). A session that ended while its bind was on the way is
  // unbound at once.
  auto answer = [this, session, here, done = std::move(done)](Result<xmpp::Jid> r,
                                                             uint64_t generation = 0) mutable {
    size_t loop = session->loop();
    loops_.post(loop, [this, session, loop, here, generation, r = std::move(r),
                       done = std::move(done)]() mutable {
      LoopState& s = state(loop);
      s.binding.erase(session.get());
      if (r.ok()) {
        if (s.gone.erase(session.get()))
          drop_resource_later(here, Bound{*r, generation});
        else
          s.bound.insert_or_assign(session.get(), Bound{*r, generation});
      }
      done(std::move(r));
    });
  };
  if (stopping_) return answer(Unavailable("shutting down"));
  std::string key = bare.str();
  Account& account = state(here).accounts[key];
  // A generated resource: random, so it tells nothing about the client.
  xmpp::Jid full = requested ? *requested : bare;
  while (!requested) {
    auto candidate = xmpp::Jid::parse(key + "/" + hex_encode(random_bytes(8)));
    if (!account.resources.contains(candidate->resource())) {
      full = *candidate;
      break;
    }
  }
  const std::string& resource = full.resource();
  auto it = account.resources.find(resource);
  if (it != account.resources.end()) {
    if (config_.conflict == HubConfig::ConflictPolicy::refuse)
      return answer(Exists("resource in use"));
    // RFC 6120 7.7.2.2: the new session takes over, the old one ends.
    log::debug("hub: a new session takes over a resource of {}", key);
    std::shared_ptr<Session> old = it->second.session;
    remove_resource(account, key, resource, here);
    loops_.post(old->loop(), [old] { old->close("conflict", "replaced by a new session"); });
  } else if (account.resources.size() >= c2s_.max_resources) {
    if (account.resources.empty()) state(here).accounts.erase(key);
    return answer(Unavailable("too many resources"));
  }
  // remove_resource() may have erased an account left empty.
  Account& now = state(here).accounts[key];
  uint64_t generation = ++state(here).next_generation;
  now.resources.emplace(resource, Resource{session, generation, false, 0});
  sessions_.fetch_add(1, std::memory_order_relaxed);
  for (const auto& hook : services_.session_bound_hooks()) hook(full, false);
  answer(full, generation);
}

void Hub::remove_resource(Account& account, const std::string& bare, const std::string& resource,
                          size_t loop) {
  auto it = account.resources.find(resource);
  if (it == account.resources.end()) return;
  bool available = it->second.available;
  auto full = xmpp::Jid::parse(bare + "/" + resource);
  account.resources.erase(it);
  sessions_.fetch_sub(1, std::memory_order_relaxed);
  if (full)
    for (const auto& hook : services_.session_unbound_hooks()) hook(*full, available);
  if (account.resources.empty()) state(loop).accounts.erase(bare);
}

void Hub::unbound(Session& session) {
  LoopState& s = state(session.loop());
  auto it = s.bound.find(&session);
  if (it == s.bound.end()) {
    // Ended while its bind was on the way: unbound when the answer comes.
    if (s.binding.contains(&session)) s.gone.insert(&session);
    return;
  }
  Bound b = std::move(it->second);
  s.bound.erase(it);
  size_t loop = account_loop(b.jid.bare());
  drop_resource_later(loop, std::move(b));
}

void Hub::drop_resource_later(size_t loop, Bound b) {
  run_on(loop, [this, b = std::move(b), loop] {
    std::string key = b.jid.bare().str();
    Account* account = find_account(loop, key);
    if (!account) return;
    auto r = account->resources.find(b.jid.resource());
    // An older session of a resource taken over: already gone.
    if (r == account->resources.end() || r->second.generation != b.generation) return;
    remove_resource(*account, key, b.jid.resource(), loop);
  });
}

// --- from clients ------------------------------------------------------------

void Hub::from_session(Session& session, xml::Element stanza) {
  auto& bound = state(session.loop()).bound;
  auto it = bound.find(&session);
  if (it == bound.end()) return;  // not (or no longer) bound
  const Bound& b = it->second;
  // Whatever the client wrote: a stanza from a session is from its JID.
  stanza.set_attr("from", b.jid.str());
  if (stanza.ns() == kClientNs) stanza.rename_namespace(kClientNs, kServerNs);
  run_on(account_loop(b.jid.bare()), [this, b, stanza = std::move(stanza)]() mutable {
    client_stanza(b, std::move(stanza));
  });
}

void Hub::client_stanza(const Bound& sender, xml::Element stanza) {
  xmpp::Jid bare = sender.jid.bare();
  std::string key = bare.str();
  size_t loop = account_loop(bare);
  Account* account = find_account(loop, key);
  if (!account) return;
  auto r = account->resources.find(sender.jid.resource());
  if (r == account->resources.end() || r->second.generation != sender.generation) return;

  const std::string* to_text = stanza.attr("to");
  std::optional<xmpp::Jid> to;
  if (to_text) {
    to = xmpp::Jid::parse(*to_text);
    if (!to) return bounce(stanza, "jid-malformed");
  }
  bool to_self = !to || *to == bare;
  const std::string& name = stanza.name();
  if (name == "presence" && !to) return broadcast_presence(*account, r->second, sender.jid, stanza);
  if (name == "iq" && to_self) {
    if (!is_request(stanza)) return;  // answers to the server: none are awaited yet
    return account_iq(std::move(stanza), bare);
  }
  // RFC 6120 10.3.1: a message without 'to' is for the account itself.
  if (!to) stanza.set_attr("to", key);
  router_.send(std::move(stanza));
}

void Hub::broadcast_presence(Account&, Resource& resource, const xmpp::Jid& full,
                             xml::Element& presence) {
  std::string_view type = presence.attr_or("type");
  if (type.empty()) {
    resource.available = true;
    resource.priority = presence_priority(presence);
  } else if (type == "unavailable") {
    resource.available = false;
  } else {
    return;  // subscription requests need a 'to'; an error to nobody means nothing
  }
  for (const auto& hook : services_.broadcast_presence_hooks()) hook(full, presence);
}

// --- to a host ---------------------------------------------------------------

void Hub::handle(xml::Element stanza) {
  const std::string* to_text = stanza.attr("to");
  auto to = to_text ? xmpp::Jid::parse(*to_text) : std::nullopt;
  if (!to) return;
  if (to->local().empty()) return to_server(std::move(stanza), *to);
  size_t loop = account_loop(to->bare());  // before `to` moves into the handler
  run_on(loop, [this, stanza = std::move(stanza), to = std::move(*to)]() mutable {
    to_account(std::move(stanza), to);
  });
}

void Hub::to_server(xml::Element stanza, const xmpp::Jid& to) {
  if (!is_request(stanza)) return;  // messages and presence to the server: nothing to do yet
  if (stanza.children().size() != 1) return bounce(stanza, "bad-request");
  const auto* handler = services_.server_iq(stanza.children().front().ns());
  run_iq(handler, std::move(stanza), to.bare());
}

void Hub::run_iq(const Services::IqHandler* handler, xml::Element stanza, xmpp::Jid to) {
  if (!handler) return bounce(stanza, "service-unavailable");
  auto from = xmpp::Jid::parse(stanza.attr_or("from"));
  if (!from) return;
  (*handler)(Iq{std::move(stanza), std::move(*from), std::move(to)});
}

void Hub::account_iq(xml::Element stanza, const xmpp::Jid& bare) {
  if (stanza.children().size() != 1) return bounce(stanza, "bad-request");
  const auto* handler = services_.account_iq(stanza.children().front().ns());
  run_iq(handler, std::move(stanza), bare);
}

// --- to an account -----------------------------------------------------------

void Hub::to_account(xml::Element stanza, const xmpp::Jid& to) {
  xmpp::Jid bare = to.bare();
  Account* account = find_account(account_loop(bare), bare.str());
  const std::string& name = stanza.name();
  if (!to.is_bare()) {
    if (account) {
      auto r = account->resources.find(to.resource());
      if (r != account->resources.end()) return deliver(r->second, std::move(stanza));
    }
    // RFC 6121 8.5.3.2: no such resource.
    if (name == "message") return message_to_bare(account, std::move(stanza), bare, true);
    if (name == "iq") {
      if (is_request(stanza)) bounce(stanza, "service-unavailable");
      return;
    }
    if (is_subscription_or_probe(stanza.attr_or("type")))
      return presence_to_account(account, std::move(stanza), bare);
    return;  // other presence to a resource that is not there: dropped
  }
  if (name == "message") return message_to_bare(account, std::move(stanza), bare, false);
  if (name == "iq") {
    if (is_request(stanza)) return account_iq(std::move(stanza), bare);
    return;  // answers to a bare JID: nothing awaits them
  }
  presence_to_account(account, std::move(stanza), bare);
}

void Hub::message_to_bare(Account* account, xml::Element stanza, const xmpp::Jid& to,
                          bool to_full) {
  std::string_view type = stanza.attr_or("type", "normal");
  if (type == "error") return;
  if (type == "groupchat") return bounce(stanza, "service-unavailable");
  if (type == "headline") {
    // To every available resource; dropped when there is none, or when it
    // was meant for a resource that is gone.
    if (!account || to_full) return;
    auto targets = account->available_resources(true);
    for (size_t i = 0; i < targets.size(); ++i)
      deliver(*targets[i], i + 1 == targets.size() ? std::move(stanza) : stanza);
    return;
  }
  auto targets = account ? account->top_resources() : std::vector<const Resource*>{};
  if (!targets.empty()) {
    for (size_t i = 0; i < targets.size(); ++i)
      deliver(*targets[i], i + 1 == targets.size() ? std::move(stanza) : stanza);
    return;
  }
  // RFC 6121 8.5.2.2: nobody to deliver to now. The offline store
  // (XEP-0160) keeps it if there is one.
  const auto& offline = services_.offline_store();
  if (offline && offline(to, stanza)) return;
  bounce(stanza, "service-unavailable");
}

void Hub::presence_to_account(Account* account, xml::Element stanza, const xmpp::Jid& to) {
  std::string_view type = stanza.attr_or("type");
  if (is_subscription_or_probe(type)) {
    for (const auto& hook : services_.inbound_presence_hooks())
      if (hook(to, stanza)) return;
    return;
  }
  if (!type.empty() && type != "unavailable") return;  // presence errors to a bare JID
  if (!account) return;
  auto targets = account->available_resources(false);
  for (size_t i = 0; i < targets.size(); ++i)
    deliver(*targets[i], i + 1 == targets.size() ? std::move(stanza) : stanza);
}

void Hub::deliver(const Resource& resource, xml::Element stanza) {
  loops_.post(resource.session->loop(), [session = resource.session, stanza = std::move(stanza)]() mutable {
    session->deliver(std::move(stanza));
  });
}

void Hub::bounce(const xml::Element& stanza, std::string_view condition) {
  std::string_view type = stanza.attr_or("type");
  if (type == "error" || type == "result") return;  // never answer an answer
  if (!stanza.attr("from")) return;
  router_.send(xmpp::make_error(stanza, xmpp::ErrorType::cancel, condition));
}

// --- account and server life -------------------------------------------------

void Hub::account_deleted(const xmpp::Jid& bare_jid) {
  xmpp::Jid bare = bare_jid.bare();
  size_t loop = account_loop(bare);
  run_on(loop, [this, bare, loop] {
    std::string key = bare.str();
    if (Account* account = find_account(loop, key)) {
      std::vector<std::string> resources;
      for (const auto& [name, r] : account->resources) {
        resources.push_back(name);
        loops_.post(r.session->loop(), [s = r.session] { s->close("not-authorized", "account deleted"); });
      }
      for (const auto& name : resources)
        if ((account = find_account(loop, key))) remove_resource(*account, key, name, loop);
    }
    for (const auto& hook : services_.account_deleted_hooks()) hook(bare);
  });
}

void Hub::close_all_sessions(std::string_view condition, std::string_view text) {
  stopping_ = true;
  for (size_t loop = 0; loop < loops_.size(); ++loop) {
    loops_.post(loop, [this, loop, condition = std::string(condition), text = std::string(text)] {
      size_t closed = 0;
      for (auto& [key, account] : state(loop).accounts)
        for (auto& [name, r] : account.resources) {
          loops_.post(r.session->loop(), [s = r.session, condition, text] { s->close(condition, text); });
          ++closed;
        }
      if (closed) log::info("hub: closing {} session(s) of loop {}", closed, loop);
    });
  }
}

}  // namespace herald::home::core
