// Channel binding data of a TLS connection (RFC 5929, RFC 9266), for
// SCRAM-*-PLUS and HT-*-ENDP/-EXPR, and the list of types a server
// advertises (XEP-0440). Reads the connection's TLS state only (no I/O);
// works on either end of a connection, so both sides of a test (and the
// load generator's client) compute the values the same way.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace herald::xmpp::sasl {

enum class ChannelBindingType { tls_exporter, tls_server_end_point, tls_unique };

std::string_view channel_binding_name(ChannelBindingType t);  // "tls-exporter", ...
std::optional<ChannelBindingType> parse_channel_binding_name(std::string_view name);

// The types this connection can offer, strongest first: tls-exporter on
// TLS 1.3 (RFC 9266; not on 1.2, where it needs the extended master
// secret), tls-server-end-point whenever the server presented a certificate
// whose hash RFC 5929 defines. tls-unique is never offered (undefined for
// TLS 1.3, weak before).
std::vector<ChannelBindingType> available_channel_bindings(SSL* ssl);

// The binding data, the same on both ends; nullopt when the type is not
// available on this connection (tls-unique never is):
//   tls-exporter          32 bytes exported with the label
//                         "EXPORTER-Channel-Binding" and an empty context;
//   tls-server-end-point  the hash of the server's certificate
//                         (certificate_end_point_hash): our own on a server
//                         connection, the peer's on a client connection.
std::optional<std::string> channel_binding_data(SSL* ssl, ChannelBindingType t);

// RFC 5929 section 4.1: the certificate's DER hashed with the hash of its
// signature algorithm, SHA-256 when that is MD5 or SHA-1; nullopt when the
// algorithm names no single hash (Ed25519, Ed448), where the type is
// undefined.
std::optional<std::string> certificate_end_point_hash(X509* cert);

// What a connection advertised and can bind to, computed once per stream.
struct ChannelBindings {
  std::vector<ChannelBindingType> offered;  // what we advertise (XEP-0440)
  // Binding data by type (only for offered types).
  std::vector<std::pair<ChannelBindingType, std::string>> data;
  // Whether the server advertised any -PLUS mechanism on this stream.
  bool plus_advertised = false;
  // XEP-0474: the mechanism names this stream advertised in the list the
  // client authenticates from (SASL or SASL2). When non-empty, every
  // server-first-message carries h= over them and, when `offered` is
  // non-empty (so the stream sent <sasl-channel-binding/>), over the
  // offered types' names. Empty: no h=.
  std::vector<std::string> advertised_mechanisms;
};

// For a stream on `ssl` (after the handshake): the available types offered,
// their data, plus_advertised when any is (the stream then lists the
// -PLUS mechanisms); advertised_mechanisms is left for the stream to fill.
ChannelBindings collect_channel_bindings(SSL* ssl);

}  // namespace herald::xmpp::sasl
