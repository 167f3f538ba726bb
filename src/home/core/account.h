// An online account as the hub keeps it on the account's loop: its bound
// sessions by resource, with their availability and priority, and the
// delivery rules of RFC 6121 8.5.2 that depend on them. Plain data; only
// ever touched on the account's loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "home/core/session.h"
#include "xml/element.h"

namespace herald::home::core {

struct Resource {
  std::shared_ptr<Session> session;
  // Tells a session's unbound() from that of an earlier one on the same
  // resource (a take-over), whatever their addresses.
  uint64_t generation = 0;
  // Set by the session's own broadcast presence (none yet: not available).
  bool available = false;
  int priority = 0;
};

struct Account {
  std::map<std::string, Resource> resources;

  // Messages of type chat or normal to the bare JID: the available
  // resources of non-negative priority that share the highest priority
  // (RFC 6121 8.5.2.1.1, "most available" read as highest priority; ties
  // all get it). Empty: none, offline rules apply (8.5.2.2).
  std::vector<const Resource*> top_resources() const;
  // Available resources; headlines go to those of non-negative priority.
  std::vector<const Resource*> available_resources(bool non_negative_only) const;
};

// The <priority/> of a presence (RFC 6121 4.7.2.3): an integer from -128 to
// 127; 0 when absent or not such a number.
int presence_priority(const xml::Element& presence);

}  // namespace herald::home::core
