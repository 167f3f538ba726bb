#include "xmpp/sasl/channel_binding.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace herald::xmpp::sasl {
namespace {

// The server's certificate on either side of the connection.
X509* server_certificate(SSL* ssl) {
  return SSL_is_server(ssl) ? SSL_get_certificate(ssl) : SSL_get0_peer_certificate(ssl);
}

}  // namespace

std::string_view channel_binding_name(ChannelBindingType t) {
  switch (t) {
    case ChannelBindingType::tls_exporter:
      return "tls-exporter";
    case ChannelBindingType::tls_server_end_point:
      return "tls-server-end-point";
    case ChannelBindingType::tls_unique:
      return "tls-unique";
  }
  return "";
}

std::optional<ChannelBindingType> parse_channel_binding_name(std::string_view name) {
  for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point,
                 ChannelBindingType::tls_unique})
    if (channel_binding_name(t) == name) return t;
  return std::nullopt;
}

std::vector<ChannelBindingType> available_channel_bindings(SSL* ssl) {
  std::vector<ChannelBindingType> out;
  if (!ssl) return out;
  if (SSL_version(ssl) == TLS1_3_VERSION) out.push_back(ChannelBindingType::tls_exporter);
  if (server_certificate(ssl)) out.push_back(ChannelBindingType::tls_server_end_point);
  return out;
}

std::optional<std::string> channel_binding_data(SSL* ssl, ChannelBindingType t) {
  if (!ssl) return std::nullopt;
  if (t == ChannelBindingType::tls_exporter) {
    // RFC 9266: 32 bytes of the exporter with this label and no context.
    if (SSL_version(ssl) != TLS1_3_VERSION) return std::nullopt;
    static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
    unsigned char out[32];
    if (SSL_export_keying_material(ssl, out, sizeof out, kLabel, sizeof kLabel - 1, nullptr, 0,
                                   0) != 1)
      return std::nullopt;
    return std::string(reinterpret_cast<char*>(out), sizeof out);
  }
  if (t == ChannelBindingType::tls_server_end_point) {
    // RFC 5929 4.1: the certificate's own signature hash, SHA-256 when that
    // is MD5 or SHA-1 (or the signature has no separate hash, as EdDSA).
    X509* cert = server_certificate(ssl);
    if (!cert) return std::nullopt;
    int md_nid = NID_undef;
    if (!X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr)) md_nid = NID_undef;
    const EVP_MD* md = nullptr;
    if (md_nid == NID_sha384) md = EVP_sha384();
    else if (md_nid == NID_sha512) md = EVP_sha512();
    else md = EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (X509_digest(cert, md, out, &n) != 1) return std::nullopt;
    return std::string(reinterpret_cast<char*>(out), n);
  }
  return std::nullopt;  // tls-unique: never offered
}

}  // namespace herald::xmpp::sasl
