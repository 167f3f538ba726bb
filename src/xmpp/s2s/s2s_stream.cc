#include "xmpp/s2s/s2s_stream.h"

namespace herald::xmpp::s2s {

std::string stream_header(std::string_view from, std::string_view to, std::string_view id,
                          bool with_version) {
  return xmpp::stream_header(kServerNs, from, to, id, "xmlns:db='jabber:server:dialback'",
                             with_version);
}

}  // namespace herald::xmpp::s2s
