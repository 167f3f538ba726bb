#include "net/listen.h"

#include <stdexcept>

#include "base/host_port.h"
#include "base/log.h"

namespace herald::net {

asio::ip::tcp::endpoint parse_listen_endpoint(const std::string& text) {
  auto host_port = parse_host_port(text);
  if (!host_port) throw std::invalid_argument("bad listen address: " + text);
  asio::error_code ec;
  auto address = asio::ip::make_address(host_port->host, ec);
  if (ec) throw std::invalid_argument("bad listen address: " + text);
  return {address, host_port->port};
}

std::unique_ptr<asio::ip::tcp::acceptor> open_listener(asio::io_context& io,
                                                       const std::string& text,
                                                       std::string_view what,
                                                       std::string_view note) {
  auto endpoint = parse_listen_endpoint(text);
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io);
  asio::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error(std::string(what) + ": cannot listen on " + text + ": " +
                             ec.message());
  auto bound = acceptor->local_endpoint(ec);
  log::info("{}: listening on {} port {}{}", what, bound.address().to_string(), bound.port(), note);
  return acceptor;
}

std::vector<asio::ip::tcp::endpoint> bound_endpoints(
    const std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>& acceptors) {
  std::vector<asio::ip::tcp::endpoint> out;
  for (const auto& a : acceptors) {
    asio::error_code ec;
    auto endpoint = a->local_endpoint(ec);
    if (!ec) out.push_back(endpoint);
  }
  return out;
}

}  // namespace herald::net
