// Listening sockets from configuration text ("0.0.0.0:5222", "[::]:5222",
// "[::1]:0"), the same way for every listener.
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace herald::net {

// Throws std::invalid_argument when the text is not "IP:port".
asio::ip::tcp::endpoint parse_listen_endpoint(const std::string& text);

// A listening acceptor on `text`: SO_REUSEADDR, IPv6-only on an IPv6
// address (so 0.0.0.0:P and [::]:P can both be listed), the system's
// backlog. Logs "<what>: listening on <address> port <port><note>" at info.
// Throws std::runtime_error "<what>: cannot listen on <text>: ...".
std::unique_ptr<asio::ip::tcp::acceptor> open_listener(asio::io_context& io,
                                                       const std::string& text,
                                                       std::string_view what,
                                                       std::string_view note = {});

// The addresses `acceptors` are bound to (with the actual port where 0 was
// asked for), skipping closed ones.
std::vector<asio::ip::tcp::endpoint> bound_endpoints(
    const std::vector<std::unique_ptr<asio::ip::tcp::acceptor>>& acceptors);

}  // namespace herald::net
