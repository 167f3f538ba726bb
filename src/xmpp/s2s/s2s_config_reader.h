// Reads an [s2s] section into S2sConfig, for applications that keep the
// s2s settings as the transport's own struct (herald-home). The served
// domains and their certificates come from the application ([[hosts]]).
// Key names follow herald's [s2s] (docs/configuration.md) where they mean
// the same.
#pragma once

#include "xmpp/s2s/s2s_config.h"

namespace herald::config {
class Table;
}

namespace herald::xmpp {

// The defaults: listen on 5269, all addresses.
S2sConfig default_s2s_config();
// Throws std::runtime_error naming the key at fault.
void read_s2s_config(const config::Table& section, S2sConfig& c);

}  // namespace herald::xmpp
