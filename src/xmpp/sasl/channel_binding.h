// Channel binding data of a TLS connection (RFC 5929, RFC 9266), for
// SCRAM-*-PLUS, and the list of types a server advertises (XEP-0440).
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace herald::xmpp::sasl {

enum class ChannelBindingType { tls_exporter, tls_server_end_point, tls_unique };

std::string_view channel_binding_name(ChannelBindingType t);  // "tls-exporter", ...
std::optional<ChannelBindingType> parse_channel_binding_name(std::string_view name);

// The types this connection can offer: tls-exporter on TLS 1.3 (RFC 9266),
// tls-server-end-point whenever the server presented a certificate. tls-unique is
// never offered (undefined for TLS 1.3, weak before).
std::vector<ChannelBindingType> available_channel_bindings(SSL* ssl);

// The binding data of this connection, the same on both ends; nullopt when
// the type is not available on it. tls-server-end-point hashes the server's
// certificate (ours on the server side, the peer's on a client: SHA-256, or
// the certificate's signature hash when stronger).
std::optional<std::string> channel_binding_data(SSL* ssl, ChannelBindingType t);

}  // namespace herald::xmpp::sasl
