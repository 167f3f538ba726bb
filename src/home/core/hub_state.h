// The hub's state per loop (hub.h), for its two source files only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "home/core/account.h"
#include "home/core/hub.h"

namespace herald::home::core {

// A bound session as its own loop knows it.
struct Hub::Bound {
  xmpp::Jid jid;
  uint64_t generation;
};

struct Hub::LoopState {
  // The accounts this loop owns, by bare JID.
  std::unordered_map<std::string, Account> accounts;
  uint64_t next_generation = 0;
  // The bound sessions that live on this loop; those whose bind is on its
  // way, and those of them that ended meanwhile.
  std::unordered_map<const Session*, Bound> bound;
  std::unordered_set<const Session*> binding, gone;
  // Client streams on this loop and the Session each was adapted to.
  std::unordered_map<const xmpp::C2sSession*, std::shared_ptr<Session>> c2s;
};

}  // namespace herald::home::core
