#include "c2s-loadgen/worker.h"

#include <charconv>
#include <future>

namespace herald::bench {

namespace {
constexpr size_t kMaxErrorKinds = 10;
// Open loop: a schedule further behind than this is dropped, not caught up in a burst.
constexpr double kMaxCatchUpS = 0.1;

uint32_t micros(Clock::duration d) {
  return uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// A share of `total` for loop `index` of `loops`, at least 1.
size_t share(int total, int index, int loops) {
  size_t n = size_t(total / loops) + (index < total % loops ? 1 : 0);
  return n ? n : 1;
}
}  // namespace

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

Worker::Worker(int index, const LoadOptions& options, const ClientSettings& settings, Phase& phase)
    : index_(index), o_(options), settings_(settings), phase_(phase) {
  settings_.cache = &cache_;
  settings_.check = &check_;
  for (uint32_t i = 0; i < o_.users; ++i) {
    // messages: both users of a pair on one loop, and next to each other.
    uint32_t unit = o_.mode == "messages" ? i / 2 : i;
    if (int(unit % uint32_t(o_.loops)) == index_) users_.push_back(o_.first_user + i);
  }
  clients_.resize(users_.size());
  busy_.assign(users_.size(), false);
  max_in_flight_ = share(o_.mode == "logins" ? o_.concurrency : o_.ramp, index_, o_.loops);
  padding_.assign(o_.body_bytes > 20 ? o_.body_bytes - 20 : 0, 'x');
}

Worker::~Worker() { stop(); }

void Worker::run() {
  asio::post(io_, [this] { start_next(); });
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

bool Worker::in_window(int64_t t) const {
  return t >= phase_.window_start.load(std::memory_order_relaxed) &&
         t < phase_.window_end.load(std::memory_order_relaxed);
}

void Worker::note_error(const std::string& error) {
  auto it = errors.find(error);
  if (it != errors.end())
    ++it->second;
  else if (errors.size() < kMaxErrorKinds)
    errors.emplace(error, 1);
  else
    ++errors["(other errors)"];
}

void Worker::start_next() {
  if (o_.mode == "logins") {
    // The next user not in a cycle, round robin.
    for (size_t tries = 0; in_flight_ < max_in_flight_ && tries < users_.size(); ++tries) {
      size_t pos = next_++ % users_.size();
      if (busy_[pos]) continue;
      busy_[pos] = true;
      ++in_flight_;
      tries = 0;
      clients_[pos] = C2sClient::create(io_, settings_, *this, users_[pos]);
      clients_[pos]->start();
    }
    return;
  }
  while (in_flight_ < max_in_flight_ && next_ < users_.size()) {
    ++in_flight_;
    clients_[next_] = C2sClient::create(io_, settings_, *this, users_[next_]);
    clients_[next_++]->start();
  }
}

void Worker::on_online(C2sClient& client) {
  uint32_t took = micros(client.online_at() - client.started());
  if (settings_.fetch_roster) {
    roster_items += client.roster_items();
    ++roster_fetches;
  }
  ++logins_total;
  if (o_.mode == "logins") {
    if (in_window(now_ns())) {
      ++logins_in_window;
      login_us.push_back(took);
    }
    client.logout();
    return;
  }
  login_us.push_back(took);
  ++online;
  --in_flight_;
  start_next();
}

void Worker::on_closed(C2sClient& client, const std::string& error) {
  bool was_online = client.online_at() != Clock::time_point{};
  if (!error.empty()) note_error(error);
  if (o_.mode == "logins") {
    if (!error.empty()) {
      ++failed;
      if (in_window(now_ns())) ++failed_in_window;
    }
    // Positions of this loop's users: user = first + pos * loops + index.
    size_t pos = (client.user() - o_.first_user) / uint32_t(o_.loops);
    busy_[pos] = false;
    clients_[pos].reset();
    --in_flight_;
    start_next();
    return;
  }
  if (was_online) {
    ++dropped;
    return;
  }
  ++failed;
  --in_flight_;
  start_next();
}

void Worker::sync() {
  std::promise<void> done;
  asio::post(io_, [&done] { done.set_value(); });
  done.get_future().wait();
}

void Worker::start_traffic() {
  asio::post(io_, [this] {
    traffic_ = true;
    traffic_start_ = Clock::now();
    if (o_.rate > 0) {
      ticker_ = std::make_unique<asio::steady_timer>(io_);
      tick();
      return;
    }
    for (auto& c : clients_)
      if (c && c->online())
        for (int i = 0; i < o_.window; ++i) send_to_partner(*c);
  });
}

void Worker::send_to_partner(C2sClient& client) {
  int64_t t = now_ns();
  if (in_window(t)) ++sent_in_window;
  std::string body = std::to_string(t);
  body.append(1, ' ').append(padding_);
  client.send_message(o_.first_user + ((client.user() - o_.first_user) ^ 1u), body);
}

void Worker::on_message(C2sClient& client, std::string_view body) {
  int64_t t = now_ns();
  int64_t sent = 0;
  std::from_chars(body.data(), body.data() + body.size(), sent);
  if (in_window(t)) {
    ++delivered_in_window;
    if (in_window(sent)) latency_us.push_back(uint32_t((t - sent) / 1000));
  }
  if (traffic_ && o_.rate <= 0) send_to_partner(client);  // closed loop: answer it
}

void Worker::tick() {
  double elapsed = std::chrono::duration<double>(Clock::now() - traffic_start_).count();
  double my_rate = o_.rate * double(users_.size()) / double(o_.users);
  auto owed = uint64_t(elapsed * my_rate);
  if (owed > rate_sent_ + uint64_t(my_rate * kMaxCatchUpS) + 1) {
    skipped += owed - rate_sent_;
    rate_sent_ = owed;
  }
  for (size_t tries = 0; rate_sent_ < owed && tries < clients_.size();) {
    auto& c = clients_[rate_next_++ % clients_.size()];
    if (!c || !c->online()) {
      ++tries;
      continue;
    }
    tries = 0;
    send_to_partner(*c);
    ++rate_sent_;
  }
  ticker_->expires_after(std::chrono::milliseconds(1));
  ticker_->async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace herald::bench
