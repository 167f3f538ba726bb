#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <stdexcept>

namespace herald::net {
namespace {

// Accept whatever the peer presents; the decision is made after the
// handshake, where the stream knows which domain the peer claims.
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

const unsigned char kAlpnXmppServer[] = "\x0bxmpp-server";

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

std::string asn1_text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     size_t(ASN1_STRING_length(s)));
}

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::unique_ptr<asio::ssl::context> base_context(asio::ssl::context::method method) {
  auto ctx = std::make_unique<asio::ssl::context>(method);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
  return ctx;
}

void load_identity(asio::ssl::context& ctx, const CertificateFiles& files) {
  SSL_CTX* native = ctx.native_handle();
  if (SSL_CTX_use_certificate_chain_file(native, files.cert_file.c_str()) != 1)
    throw std::runtime_error("TLS: cannot load certificate " + files.cert_file + ": " +
                             openssl_error());
  if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    throw std::runtime_error("TLS: cannot load key " + files.key_file + ": " + openssl_error());
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error("TLS: key " + files.key_file + " does not match " + files.cert_file);
}

}  // namespace

TrustStore::TrustStore(const std::string& extra_ca_file) : store_(X509_STORE_new()) {
  // The system CAs as a hashed directory, looked up when a chain needs one:
  // loading the whole bundle file up front costs OpenSSL 3 most of
  // Herald's start-up (bench/README.md "Start-up").
  const char* dir = getenv(X509_get_default_cert_dir_env());
  X509_STORE_load_path(store_, dir ? dir : X509_get_default_cert_dir());
  if (!extra_ca_file.empty() && X509_STORE_load_file(store_, extra_ca_file.c_str()) != 1) {
    X509_STORE_free(store_);
    throw std::runtime_error("TLS: cannot load CA file " + extra_ca_file + ": " + openssl_error());
  }
}

TrustStore::~TrustStore() {
  X509_STORE_free(store_);
}

ServerTls::ServerTls(const std::vector<CertificateFiles>& domains, const ServerTlsKind& kind) {
  if (domains.empty()) throw std::runtime_error("TLS: no served domain has a certificate");
  if (kind.alpn.empty() || kind.alpn.size() > 255)
    throw std::runtime_error("TLS: bad ALPN protocol name");
  alpn_wire_ = char(kind.alpn.size()) + kind.alpn;
  for (const auto& d : domains) {
    auto ctx = base_context(asio::ssl::context::tls_server);
    load_identity(*ctx, d);
    // Ask for a client certificate (SASL EXTERNAL) but never fail on it.
    if (kind.request_client_certificate)
      SSL_CTX_set_verify(ctx->native_handle(), SSL_VERIFY_PEER, accept_any);
    SSL_CTX_set_alpn_select_cb(ctx->native_handle(), &ServerTls::on_alpn, this);
    SSL_CTX_set_tlsext_servername_callback(ctx->native_handle(), &ServerTls::on_servername);
    SSL_CTX_set_tlsext_servername_arg(ctx->native_handle(), this);
    by_domain_[d.domain] = ctx.get();
    contexts_.push_back(std::move(ctx));
  }
}

int ServerTls::on_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                       const unsigned char* in, unsigned int inlen, void* arg) {
  const std::string& ours = static_cast<ServerTls*>(arg)->alpn_wire_;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(ours.data()),
                            unsigned(ours.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

int ServerTls::on_servername(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<ServerTls*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;
  std::string lower(name);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  auto it = self->by_domain_.find(lower);
  if (it != self->by_domain_.end()) SSL_set_SSL_CTX(ssl, it->second->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

std::unique_ptr<asio::ssl::context> make_client_context(const CertificateFiles* ours) {
  auto ctx = base_context(asio::ssl::context::tls_client);
  if (ours) load_identity(*ctx, *ours);
  SSL_CTX_set_verify(ctx->native_handle(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

void prepare_client(SSL* ssl, const std::string& server_name, bool alpn_xmpp_server) {
  SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (alpn_xmpp_server) SSL_set_alpn_protos(ssl, kAlpnXmppServer, sizeof kAlpnXmppServer - 1);
}

bool peer_certificate_valid(SSL* ssl, X509_STORE* trust, const std::string& domain) {
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (!leaf || domain.empty()) return false;
  // On the server side the chain excludes the leaf, on the client side it
  // includes it; as untrusted intermediates either way works.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  bool ok = false;
  if (ctx && X509_STORE_CTX_init(ctx, trust, leaf, chain) == 1) {
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    ok = X509_verify_cert(ctx) == 1;
  }
  X509_STORE_CTX_free(ctx);
  ERR_clear_error();
  if (!ok) return false;
  return certificate_names_domain(leaf, domain);
}

bool certificate_names_domain(X509* cert, const std::string& domain) {
  if (!cert || domain.empty()) return false;
  if (X509_check_host(cert, domain.data(), domain.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                      nullptr) == 1)
    return true;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return false;
  std::string want = lowercase(domain);
  bool found = false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_OTHERNAME) continue;
    const OTHERNAME* other = name->d.otherName;
    int nid = OBJ_obj2nid(other->type_id);
    const ASN1_TYPE* value = other->value;
    if (nid == NID_XmppAddr && value && value->type == V_ASN1_UTF8STRING) {
      found = lowercase(asn1_text(value->value.utf8string)) == want;
    } else if (nid == NID_SRVName && value && value->type == V_ASN1_IA5STRING) {
      std::string srv = lowercase(asn1_text(value->value.ia5string));
      found = srv == "_xmpp-server." + want || srv == "_xmpps-server." + want;
    }
  }
  GENERAL_NAMES_free(names);
  return found;
}

std::string alpn_selected(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &data, &len);
  return data ? std::string(reinterpret_cast<const char*>(data), len) : std::string();
}

std::string tls_version(SSL* ssl) {
  return SSL_get_version(ssl);
}

}  // namespace herald::net
