// TLS for XMPP streams on OpenSSL 3 through asio::ssl.
//
// Contract: every context requires TLS >= 1.2. Server contexts present the
// certificate of the served domain the client names in SNI (the first one
// when it names none or an unknown one) and request a client certificate
// without ever failing the handshake over it. Client contexts present our
// certificate (for SASL EXTERNAL) and accept any server certificate during
// the handshake. In both directions the peer is judged afterwards by
// peer_certificate_valid(), so the caller can choose between SASL EXTERNAL,
// dialback or refusal.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/ssl.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::net {

struct CertificateFiles {
  std::string domain;     // ASCII, lowercase
  std::string cert_file;  // PEM chain, leaf first
  std::string key_file;   // PEM private key
};

// The CAs we trust for peers: the system store plus an optional extra file.
class TrustStore {
 public:
  // Throws std::runtime_error if extra_ca_file is given but unreadable.
  explicit TrustStore(const std::string& extra_ca_file);
  ~TrustStore();
  TrustStore(const TrustStore&) = delete;
  TrustStore& operator=(const TrustStore&) = delete;
  X509_STORE* get() const { return store_; }

 private:
  X509_STORE* store_;
};

// What kind of listener a server context is for: the ALPN protocol it
// selects for direct TLS (XEP-0368) and whether it asks for a client
// certificate (servers authenticate with SASL EXTERNAL; clients are never
// asked, some would prompt their user).
struct ServerTlsKind {
  std::string alpn;  // e.g. "xmpp-server", "xmpp-client"
  bool request_client_certificate = true;
};
inline const ServerTlsKind kServerToServerTls{"xmpp-server", true};
inline const ServerTlsKind kClientToServerTls{"xmpp-client", false};

// One server context per served domain; context() is the one to construct
// streams with, and it switches to the right domain's certificate by SNI.
// Selects the kind's ALPN protocol when the client offers it, and no ALPN
// otherwise.
// Throws std::runtime_error naming the file that fails to load.
class ServerTls {
 public:
  explicit ServerTls(const std::vector<CertificateFiles>& domains,
                     const ServerTlsKind& kind = kServerToServerTls);
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;
  asio::ssl::context& context() { return *contexts_.front(); }

 private:
  static int on_servername(SSL* ssl, int* alert, void* arg);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* outlen,
                     const unsigned char* in, unsigned int inlen, void* arg);
  std::string alpn_wire_;  // length-prefixed, as ALPN lists are
  std::vector<std::unique_ptr<asio::ssl::context>> contexts_;
  std::map<std::string, asio::ssl::context*, std::less<>> by_domain_;
};

// A client context presenting `ours` (may be null: no client certificate).
std::unique_ptr<asio::ssl::context> make_client_context(const CertificateFiles* ours);

// Per connection, before the client handshake: SNI and, for XEP-0368 direct
// TLS, ALPN "xmpp-server".
void prepare_client(SSL* ssl, const std::string& server_name, bool alpn_xmpp_server);

// After the handshake: does the peer's certificate chain to `trust` (purpose
// ANY, so certificates without the clientAuth EKU pass) and name `domain`
// (certificate_names_domain)?
bool peer_certificate_valid(SSL* ssl, X509_STORE* trust, const std::string& domain);

// Does `cert` name `domain` (ASCII, any case) for XMPP s2s (RFC 6120
// 13.7.1.2, RFC 6125): SAN dNSName (a wildcard only as the whole leftmost
// label), SAN otherName id-on-xmppAddr (exact, no wildcard) or SRV-ID
// id-on-dnsSRV `_xmpp-server.<domain>` / `_xmpps-server.<domain>`. The
// subject CN counts only when the certificate has no dNSName.
bool certificate_names_domain(X509* cert, const std::string& domain);

// The ALPN protocol the handshake selected ("" for none).
std::string alpn_selected(SSL* ssl);

// "TLSv1.3" etc., for logs.
std::string tls_version(SSL* ssl);

}  // namespace herald::net
