// One client of the c2s load generator: a real client negotiation with an
// XMPP server (RFC 6120, RFC 6121): TCP, stream, STARTTLS, SASL (SCRAM-SHA-1,
// -256 or -512 through sasl::ScramClient, or PLAIN), resource binding, the
// legacy session when the server requires it, the roster if asked, initial
// presence. Once online it sends chat messages and hands the bodies of the
// ones it receives to its listener.
//
// Contract: single-threaded on its io_context, like StreamConnection. The
// listener hears on_online() at most once, and on_closed() exactly once:
// with an empty error after logout(), otherwise with what went wrong
// (including a close by the server). The negotiation must finish within
// settings.timeout. While online a client keeps its connection (socket, SSL
// object, expat parser, 1 KiB read buffer), a timer and a few numbers; the
// SASL state is freed once authenticated.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "xmpp/sasl/scram.h"
#include "xmpp/stream_connection.h"

namespace herald::bench {

using Clock = std::chrono::steady_clock;

// The server certificate check of one event loop, done once per
// certificate: a login presenting the certificate last found valid skips
// the chain verification (an eighth of a login's work in the client).
class CertificateCheck {
 public:
  CertificateCheck() = default;
  CertificateCheck(const CertificateCheck&) = delete;
  CertificateCheck& operator=(const CertificateCheck&) = delete;
  ~CertificateCheck();
  bool valid(SSL* ssl, X509_STORE* trust, const std::string& domain);

 private:
  X509* last_valid_ = nullptr;
};

// The same for every client of one event loop; outlives them.
struct ClientSettings {
  asio::ip::tcp::endpoint server;
  std::string domain;
  std::string user_prefix = "user";  // user N is <prefix>N@domain
  std::string password;
  std::string mechanism = "SCRAM-SHA-256";  // or SCRAM-SHA-1, SCRAM-SHA-512, PLAIN
  std::string resource = "bench";
  bool fetch_roster = false;
  X509_STORE* trust = nullptr;  // when set, the certificate must chain to it and name `domain`
  CertificateCheck* check = nullptr;  // this loop's; needed with `trust`
  asio::ssl::context* tls = nullptr;
  xmpp::sasl::SaltedPasswordCache* cache = nullptr;  // this loop's
  std::chrono::milliseconds timeout{60'000};
};

class C2sClient : public xmpp::StreamConnection {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_online(C2sClient& client) = 0;
    virtual void on_message(C2sClient& client, std::string_view body) = 0;
    virtual void on_closed(C2sClient& client, const std::string& error) = 0;
  };

  static std::shared_ptr<C2sClient> create(asio::io_context& io, const ClientSettings& settings,
                                           Listener& listener, uint32_t user);
  void start();
  // Online only: a chat message to user `to`'s bare JID.
  void send_message(uint32_t to, std::string_view body);
  // Ends the stream; on_closed() follows once the server closed its side.
  void logout();

  uint32_t user() const { return user_; }
  bool online() const { return state_ == State::online; }
  Clock::time_point started() const { return started_; }
  Clock::time_point online_at() const { return online_at_; }
  uint32_t roster_items() const { return roster_items_; }

 private:
  enum class State : uint8_t {
    connecting, features, starttls, handshake, tls_features, sasl, bound_features, bind,
    session, roster, online, closing
  };
  C2sClient(asio::io_context& io, const ClientSettings& settings, Listener& listener,
            uint32_t user);

  void on_stream_open(const xml::Element& header) override;
  void on_element(xml::Element element) override;
  void on_stream_close() override;
  void on_disconnected() override;
  std::string log_name() const override;

  void open_stream();
  void on_features(const xml::Element& features);
  void start_auth(const xml::Element& mechanisms);
  void on_sasl(const xml::Element& element);
  void on_iq_result(const xml::Element& iq);
  void answer_iq(const xml::Element& iq);
  void send(const xml::Element& element);
  void go_online();
  void give_up(std::string error);
  std::string username() const;

  const ClientSettings& settings_;
  Listener& listener_;
  uint32_t user_;
  State state_ = State::connecting;
  bool session_required_ = false;
  bool logout_requested_ = false;
  uint32_t roster_items_ = 0;
  uint32_t sent_ = 0;
  std::unique_ptr<xmpp::sasl::ScramClient> scram_;
  asio::steady_timer deadline_;
  Clock::time_point started_, online_at_;
  std::string error_;
};

}  // namespace herald::bench
