// Reads the [c2s] section (docs/home/configuration.md) into C2sConfig.
// The hosts and their certificates come from the application's [[hosts]].
#pragma once

#include "xmpp/c2s/c2s_config.h"

namespace herald::config {
class Table;
}

namespace herald::xmpp {

// Starts from the defaults: listen on 5222 and direct TLS on 5223, all
// addresses. Throws std::runtime_error naming the key at fault.
C2sConfig default_c2s_config();
void read_c2s_config(const config::Table& section, C2sConfig& c);

}  // namespace herald::xmpp
