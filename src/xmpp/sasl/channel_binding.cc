#include "xmpp/sasl/channel_binding.h"

#include <openssl/evp.h>
#include <openssl/objects.h>

namespace herald::xmpp::sasl {
namespace {

constexpr std::string_view kExporterLabel = "EXPORTER-Channel-Binding";
constexpr size_t kExporterBytes = 32;

// The certificate whose hash is tls-server-end-point on this connection.
X509* server_certificate(SSL* ssl) {
  return SSL_is_server(ssl) ? SSL_get_certificate(ssl) : SSL_get0_peer_certificate(ssl);
}

bool handshake_done(SSL* ssl) { return ssl && SSL_is_init_finished(ssl); }

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
  return "tls-unique";
}

std::optional<ChannelBindingType> parse_channel_binding_name(std::string_view name) {
  for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point,
                 ChannelBindingType::tls_unique})
    if (name == channel_binding_name(t)) return t;
  return std::nullopt;
}

std::vector<ChannelBindingType> available_channel_bindings(SSL* ssl) {
  std::vector<ChannelBindingType> out;
  for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point})
    if (channel_binding_data(ssl, t)) out.push_back(t);
  return out;
}

std::optional<std::string> channel_binding_data(SSL* ssl, ChannelBindingType t) {
  if (!handshake_done(ssl)) return std::nullopt;
  switch (t) {
    case ChannelBindingType::tls_exporter: {
      if (SSL_version(ssl) != TLS1_3_VERSION) return std::nullopt;
      std::string out(kExporterBytes, '\0');
      if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(out.data()),
                                     out.size(), kExporterLabel.data(), kExporterLabel.size(),
                                     nullptr, 0, /*use_context=*/1) != 1)
        return std::nullopt;
      return out;
    }
    case ChannelBindingType::tls_server_end_point: {
      X509* cert = server_certificate(ssl);
      if (!cert) return std::nullopt;
      return certificate_end_point_hash(cert);
    }
    case ChannelBindingType::tls_unique:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> certificate_end_point_hash(X509* cert) {
  int md_nid = NID_undef;
  // Resolves RSASSA-PSS to the hash in its parameters, like the others.
  if (!cert || X509_get_signature_info(cert, &md_nid, nullptr, nullptr, nullptr) != 1)
    return std::nullopt;
  if (md_nid == NID_md5 || md_nid == NID_sha1) md_nid = NID_sha256;
  if (md_nid == NID_undef || md_nid == NID_md5_sha1) return std::nullopt;
  const EVP_MD* md = EVP_get_digestbynid(md_nid);
  if (!md) return std::nullopt;
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int n = 0;
  if (X509_digest(cert, md, reinterpret_cast<unsigned char*>(out.data()), &n) != 1)
    return std::nullopt;
  out.resize(n);
  return out;
}

ChannelBindings collect_channel_bindings(SSL* ssl) {
  ChannelBindings b;
  for (auto t : {ChannelBindingType::tls_exporter, ChannelBindingType::tls_server_end_point}) {
    if (auto data = channel_binding_data(ssl, t)) {
      b.offered.push_back(t);
      b.data.emplace_back(t, std::move(*data));
    }
  }
  b.plus_advertised = !b.offered.empty();
  return b;
}

}  // namespace herald::xmpp::sasl
