#include "xmpp/router.h"

#include <asio/post.hpp>
#include <stdexcept>

#include "base/log.h"
#include "xmpp/jid.h"

namespace herald::xmpp {
namespace {

// Nameprep leaves these unchanged, so the usual domain needs no libidn call.
// Anything else (uppercase, non-ASCII, a trailing dot, an empty label) goes
// through normalize_domain(), which also refuses what is not a domain.
bool already_normal(std::string_view d) {
  if (d.empty() || d.size() > 1023 || d.front() == '.' || d.back() == '.') return false;
  char previous = 0;
  for (char c : d) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok || (c == '.' && previous == '.')) return false;
    previous = c;
  }
  return true;
}

// The normalised domainpart of `jid`: a view into `jid` itself when it is
// normal already (no allocation on the usual path), else into `storage`.
std::optional<std::string_view> domain_view(std::string_view jid, std::string* storage) {
  // RFC 7622: the domainpart ends at the first '/', and follows an '@' if
  // there is one before it (a resource may hold both characters).
  std::string_view head = jid.substr(0, jid.find('/'));
  if (size_t at = head.find('@'); at != std::string_view::npos) head.remove_prefix(at + 1);
  if (already_normal(head)) return head;
  auto normal = normalize_domain(head);
  if (!normal) return std::nullopt;
  *storage = std::move(*normal);
  return std::string_view(*storage);
}

}  // namespace

std::optional<std::string> Router::domain_of(std::string_view jid) {
  std::string storage;
  auto d = domain_view(jid, &storage);
  if (!d) return std::nullopt;
  return std::string(*d);
}

void Router::add(std::string_view domain, Target target) {
  if (started_) throw std::logic_error("router: domains are added before start()");
  auto normal = normalize_domain(domain);
  if (!normal) throw std::invalid_argument("router: \"" + std::string(domain) + "\" is not a domain");
  if (!locals_.emplace(*normal, target).second)
    throw std::invalid_argument("router: " + *normal + " has a handler already");
}

void Router::add_local(std::string_view domain, StanzaHandler& handler) {
  add(domain, {&handler, nullptr});
}

void Router::add_local(std::string_view domain, StanzaHandler& handler, asio::io_context& loop) {
  add(domain, {&handler, &loop});
}

void Router::set_remote(StanzaSender& outlet, asio::io_context* loop) {
  if (started_) throw std::logic_error("router: the remote outlet is set before start()");
  remote_ = &outlet;
  remote_loop_ = loop;
}

void Router::start() {
  started_ = true;
}

const Router::Target* Router::local_target(const xml::Element& stanza, bool* domain_ok) const {
  const std::string* to = stanza.attr("to");
  std::string storage;
  std::optional<std::string_view> domain = to ? domain_view(*to, &storage) : std::nullopt;
  *domain_ok = domain.has_value();
  if (!domain) return nullptr;
  auto it = locals_.find(*domain);
  return it == locals_.end() ? nullptr : &it->second;
}

void Router::deliver(const Target& target, xml::Element stanza) {
  if (!target.loop) return target.handler->handle(std::move(stanza));
  asio::post(*target.loop, [handler = target.handler, stanza = std::move(stanza)]() mutable {
    handler->handle(std::move(stanza));
  });
}

void Router::send(xml::Element stanza) {
  bool domain_ok = false;
  if (const Target* local = local_target(stanza, &domain_ok)) return deliver(*local, std::move(stanza));
  if (!domain_ok) {
    log::warn("router: dropping an outgoing <{}/> without a valid 'to'", stanza.name());
    return;
  }
  if (!remote_) {
    log::debug("router: no remote outlet; dropping an outgoing <{}/>", stanza.name());
    return;
  }
  if (!remote_loop_ || remote_loop_->get_executor().running_in_this_thread())
    return remote_->send(std::move(stanza));
  asio::post(*remote_loop_, [remote = remote_, stanza = std::move(stanza)]() mutable {
    remote->send(std::move(stanza));
  });
}

void Router::handle(xml::Element stanza) {
  bool domain_ok = false;
  if (const Target* local = local_target(stanza, &domain_ok)) return deliver(*local, std::move(stanza));
  log::debug("router: dropping a received <{}/> for no local domain", stanza.name());
}

}  // namespace herald::xmpp
