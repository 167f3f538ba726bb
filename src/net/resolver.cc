#include "net/resolver.h"

#include <arpa/nameser.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

namespace herald::net {

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records,
                                 const std::function<uint32_t(uint32_t)>& random_below) {
  if (records.size() == 1 && (records[0].target == "." || records[0].target.empty())) return {};
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> out;
  out.reserve(records.size());
  size_t begin = 0;
  while (begin < records.size()) {
    size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    std::vector<SrvRecord> group(records.begin() + long(begin), records.begin() + long(end));
    // RFC 2782: zero-weight records first so they get a small chance.
    std::stable_sort(group.begin(), group.end(), [](const SrvRecord& a, const SrvRecord& b) {
      return (a.weight == 0) > (b.weight == 0);
    });
    while (!group.empty()) {
      uint32_t total = 0;
      for (const auto& r : group) total += r.weight;
      size_t pick = 0;
      if (total > 0) {
        uint32_t roll = random_below(total + 1);  // 0..total inclusive, as in RFC 2782
        uint32_t running = 0;
        for (pick = 0; pick < group.size(); ++pick) {
          running += group[pick].weight;
          if (running >= roll) break;
        }
        if (pick == group.size()) pick = group.size() - 1;
      }
      out.push_back(std::move(group[pick]));
      group.erase(group.begin() + long(pick));
    }
    begin = end;
  }
  return out;
}

struct Resolver::Socket {
  explicit Socket(asio::io_context& io, ares_socket_t fd) : descriptor(io, fd) {}
  asio::posix::stream_descriptor descriptor;
  bool want_read = false;
  bool want_write = false;
  bool read_pending = false;
  bool write_pending = false;
};

namespace {

void init_library() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  if (status != ARES_SUCCESS)
    throw std::runtime_error(std::string("c-ares init: ") + ares_strerror(status));
}

struct SrvQuery {
  Resolver::SrvCallback callback;
  std::function<void(std::function<void()>)> post;
};

struct AddressQuery {
  Resolver::AddressCallback callback;
  std::function<void(std::function<void()>)> post;
};

uint32_t random_below(uint32_t n) {
  static std::minstd_rand rng{std::random_device{}()};
  return n == 0 ? 0 : uint32_t(rng() % n);
}

}  // namespace

Resolver::Resolver(asio::io_context& io, const std::vector<std::string>& servers)
    : io_(io), timer_(io), alive_(std::make_shared<bool>(true)) {
  init_library();
  ares_options options{};
  options.sock_state_cb = &Resolver::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = 3000;  // ms per try
  options.tries = 2;
  int status = ares_init_options(&channel_, &options,
                                 ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (status != ARES_SUCCESS)
    throw std::runtime_error(std::string("c-ares init: ") + ares_strerror(status));
  if (!servers.empty()) {
    std::string csv;
    for (const auto& s : servers) csv += (csv.empty() ? "" : ",") + s;
    status = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (status != ARES_SUCCESS) {
      ares_destroy(channel_);
      throw std::runtime_error("DNS servers \"" + csv + "\": " + ares_strerror(status));
    }
  }
}

Resolver::~Resolver() {
  *alive_ = false;
  destroying_ = true;
  // c-ares owns the file descriptors; take them back from asio first.
  for (auto& [fd, socket] : sockets_) {
    socket->descriptor.cancel();
    socket->descriptor.release();
  }
  sockets_.clear();
  ares_destroy(channel_);  // pending callbacks get ARES_EDESTRUCTION
}

void Resolver::post(std::function<void()> fn) {
  asio::post(io_, [alive = alive_, fn = std::move(fn)] {
    if (*alive) fn();
  });
}

void Resolver::query_srv(const std::string& name, SrvCallback callback) {
  auto* query =
      new SrvQuery{std::move(callback), [this](std::function<void()> fn) { post(std::move(fn)); }};
  ares_query(
      channel_, name.c_str(), ns_c_in, ns_t_srv,
      [](void* arg, int status, int, unsigned char* abuf, int alen) {
        std::unique_ptr<SrvQuery> q(static_cast<SrvQuery*>(arg));
        if (status == ARES_EDESTRUCTION) return;
        std::vector<SrvRecord> records;
        ares_srv_reply* reply = nullptr;
        if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &reply) == ARES_SUCCESS) {
          for (ares_srv_reply* r = reply; r; r = r->next)
            records.push_back({r->host, r->port, r->priority, r->weight});
          ares_free_data(reply);
        }
        records = order_srv(std::move(records), random_below);
        q->post([cb = std::move(q->callback), records = std::move(records)]() mutable {
          cb(std::move(records));
        });
      },
      query);
  update_timer();
}

void Resolver::query_addresses(const std::string& host, AddressCallback callback) {
  asio::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    post([callback = std::move(callback), literal] { callback({literal}); });
    return;
  }
  auto* query = new AddressQuery{std::move(callback),
                                 [this](std::function<void()> fn) { post(std::move(fn)); }};
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(
      channel_, host.c_str(), nullptr, &hints,
      [](void* arg, int status, int, ares_addrinfo* result) {
        std::unique_ptr<AddressQuery> q(static_cast<AddressQuery*>(arg));
        if (status == ARES_EDESTRUCTION) {
          if (result) ares_freeaddrinfo(result);
          return;
        }
        std::vector<asio::ip::address> addresses;
        if (status == ARES_SUCCESS && result) {
          for (ares_addrinfo_node* n = result->nodes; n; n = n->ai_next) {
            if (n->ai_family == AF_INET6) {
              asio::ip::address_v6::bytes_type bytes;
              std::memcpy(bytes.data(), &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr,
                          16);
              addresses.push_back(asio::ip::address_v6(bytes));
            } else if (n->ai_family == AF_INET) {
              asio::ip::address_v4::bytes_type bytes;
              std::memcpy(bytes.data(), &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, 4);
              addresses.push_back(asio::ip::address_v4(bytes));
            }
          }
        }
        if (result) ares_freeaddrinfo(result);
        q->post([cb = std::move(q->callback), addresses = std::move(addresses)]() mutable {
          cb(std::move(addresses));
        });
      },
      query);
  update_timer();
}

void Resolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<Resolver*>(data)->update_socket(fd, readable != 0, writable != 0);
}

void Resolver::update_socket(ares_socket_t fd, bool readable, bool writable) {
  if (destroying_) return;
  auto it = sockets_.find(fd);
  if (!readable && !writable) {
    if (it != sockets_.end()) {
      it->second->descriptor.cancel();
      it->second->descriptor.release();
      sockets_.erase(it);
    }
    return;
  }
  if (it == sockets_.end()) it = sockets_.emplace(fd, std::make_unique<Socket>(io_, fd)).first;
  it->second->want_read = readable;
  it->second->want_write = writable;
  arm(fd);
}

void Resolver::arm(ares_socket_t fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return;
  Socket& s = *it->second;
  auto alive = alive_;
  if (s.want_read && !s.read_pending) {
    s.read_pending = true;
    s.descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                            [this, fd, alive](const asio::error_code& ec) {
                              if (!*alive || ec == asio::error::operation_aborted) return;
                              auto it = sockets_.find(fd);
                              if (it != sockets_.end()) it->second->read_pending = false;
                              ares_process_fd(channel_, fd, ARES_SOCKET_BAD);
                              arm(fd);
                              update_timer();
                            });
  }
  if (s.want_write && !s.write_pending) {
    s.write_pending = true;
    s.descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                            [this, fd, alive](const asio::error_code& ec) {
                              if (!*alive || ec == asio::error::operation_aborted) return;
                              auto it = sockets_.find(fd);
                              if (it != sockets_.end()) it->second->write_pending = false;
                              ares_process_fd(channel_, ARES_SOCKET_BAD, fd);
                              arm(fd);
                              update_timer();
                            });
  }
}

void Resolver::update_timer() {
  timeval tv{};
  if (!ares_timeout(channel_, nullptr, &tv)) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    update_timer();
  });
}

}  // namespace herald::net
