// herald-publish: acts as a user's XMPP server for one push. It serves its own
// domain over s2s, sends one XEP-0357 publish (shaped like Prosody's) to a
// push domain, waits for the push server's reply on the stream the push
// server opens back, prints it and exits 0 for a result, 1 for an error or no
// reply. Used by the quick start and handy for operators checking a
// deployment end to end.
#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <iostream>

#include "base/crypto.h"
#include "base/encoding.h"
#include "base/host_port.h"
#include "base/log.h"
#include "xml/serializer.h"
#include "xmpp/s2s/s2s_service.h"

namespace {

using herald::xml::Element;

Element field(std::string var, std::string value) {
  Element f("field", "jabber:x:data");
  f.set_attr("var", std::move(var));
  f.add_child("value", "jabber:x:data").set_text(std::move(value));
  return f;
}

Element make_publish(const std::string& from, const std::string& to, const std::string& id,
                     const std::string& token, const std::string& module) {
  Element iq("iq", "jabber:server");
  iq.set_attr("type", "set").set_attr("from", from).set_attr("to", to).set_attr("id", id);
  Element& pubsub = iq.add_child("pubsub", "http://jabber.org/protocol/pubsub");
  Element& publish = pubsub.add_child("publish", "http://jabber.org/protocol/pubsub");
  publish.set_attr("node", token);
  Element& notification = publish.add_child("item", "http://jabber.org/protocol/pubsub")
                              .add_child("notification", "urn:xmpp:push:0");
  Element& summary = notification.add_child("x", "jabber:x:data");
  summary.set_attr("type", "form");
  summary.add_child(field("FORM_TYPE", "urn:xmpp:push:summary")).set_attr("type", "hidden");
  summary.add_child(field("message-count", "1"));
  summary.add_child(field("last-message-body", "New Message!"));
  Element& options = pubsub.add_child("publish-options", "http://jabber.org/protocol/pubsub")
                         .add_child("x", "jabber:x:data");
  options.set_attr("type", "submit");
  options.add_child(field("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options"));
  if (!module.empty()) options.add_child(field("pushModule", module));
  return iq;
}

class ReplyWaiter : public herald::xmpp::StanzaHandler {
 public:
  ReplyWaiter(asio::io_context& io, std::string id) : io_(io), id_(std::move(id)) {}
  void handle(Element stanza) override {
    if (stanza.name() != "iq" || stanza.attr_or("id") != id_) return;
    reply_ = std::move(stanza);
    io_.stop();
  }
  const std::optional<Element>& reply() const { return reply_; }

 private:
  asio::io_context& io_;
  std::string id_;
  std::optional<Element> reply_;
};

herald::xmpp::S2sRoute parse_route(const std::string& text) {
  auto host_port = herald::parse_host_port(text);
  if (!host_port) throw std::invalid_argument("route must be host:port: " + text);
  return {host_port->host, host_port->port};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"herald-publish: send one XEP-0357 publish over s2s and print the reply"};
  std::string domain, listen = "127.0.0.1:0", cert, key, ca, to, token, module, level = "warn";
  std::vector<std::string> routes;
  int timeout_s = 15;
  cli.add_option("--domain", domain, "our (the publishing server's) domain")->required();
  cli.add_option("--listen", listen, "where the push server's reply stream reaches us");
  cli.add_option("--cert", cert, "PEM certificate for --domain")->required();
  cli.add_option("--key", key, "PEM key for --domain")->required();
  cli.add_option("--ca", ca, "extra CA file to trust");
  cli.add_option("--to", to, "the push domain")->required();
  cli.add_option("--route", routes, "DOMAIN=HOST:PORT, instead of DNS");
  cli.add_option("--token", token, "device token (the pubsub node)")->required();
  cli.add_option("--module", module, "pushModule (empty: none, the server's default)");
  cli.add_option("--timeout", timeout_s, "seconds to wait for the reply");
  cli.add_option("--log-level", level, "debug, info, warn, error");
  CLI11_PARSE(cli, argc, argv);

  herald::log::Options log_options;
  herald::log::parse_level(level, &log_options.level);
  herald::log::init(log_options);

  try {
    herald::xmpp::S2sConfig config;
    config.domains.push_back({domain, cert, key});
    config.listen.push_back(listen);
    config.extra_ca_file = ca;
    // One publish, and exit at its reply: with stream management on, the
    // push server would keep that reply (never acknowledged) to send again.
    config.stream_management = false;
    for (const auto& r : routes) {
      auto eq = r.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("--route must be DOMAIN=HOST:PORT");
      config.routes[r.substr(0, eq)] = parse_route(r.substr(eq + 1));
    }
    asio::io_context io;
    std::string id = herald::hex_encode(herald::random_bytes(8));
    ReplyWaiter waiter(io, id);
    herald::xmpp::S2sService s2s(io, config, waiter);
    s2s.start();
    s2s.send(make_publish(domain, to, id, token, module));
    asio::steady_timer deadline(io, std::chrono::seconds(timeout_s));
    deadline.async_wait([&](std::error_code ec) {
      if (!ec) io.stop();
    });
    io.run();
    if (!waiter.reply()) {
      std::cout << "no reply from " << to << " within " << timeout_s << " s\n";
      return 1;
    }
    std::cout << "reply from " << to << ": " << herald::xml::serialize(*waiter.reply()) << "\n";
    return waiter.reply()->attr_or("type") == "result" ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "herald-publish: " << e.what() << "\n";
    return 2;
  }
}
