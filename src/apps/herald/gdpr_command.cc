#include "apps/herald/gdpr_command.h"

#include <ctime>
#include <filesystem>
#include <ostream>

#include "apps/herald/config.h"
#include "apps/herald/store_setup.h"
#include "apps/herald/tombstones_command.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "store/registration_store.h"
#include "store/tombstone_store.h"

namespace herald::app {

namespace {

std::string iso(std::chrono::system_clock::time_point t) { return utc_timestamp(t); }

std::string iso(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? iso(*t) : "-";
}

void print(std::ostream& out, const store::Registration& r) {
  out << "registration\n"
      << "  node: " << r.node << "\n"
      << "  module: " << r.module << "\n"
      << "  token: " << r.token << "\n"
      << "  secret sha256: " << hex_encode(r.secret_hash) << "\n"
      << "  registered: " << iso(r.created) << "\n"
      << "  renewed: " << iso(r.renewed) << "\n"
      << "  last success: " << iso(r.last_success) << "\n"
      << "  last error: " << iso(r.last_error) << "\n";
}

}  // namespace

int run_gdpr(const std::string& config_path, const GdprRequest& request, std::ostream& out,
             std::ostream& err) {
  if (request.token.empty() == request.node.empty()) {
    err << "herald gdpr: give exactly one of --token and --node\n";
    return 2;
  }
  Config config;
  try {
    config = load_config(config_path);
  } catch (const std::exception& e) {
    err << "herald: " << e.what() << "\n";
    return 2;
  }
  // The same store as `herald serve`: SQLite in data_dir, or the shared
  // PostgreSQL database.
  auto db = open_database(config, err);
  if (!db) return 3;
  store::TombstoneStore tombstones(*db);
  store::RegistrationStore registrations(*db);
  auto store_error = [&err](const Status& s) {
    err << "herald: store error: " << s.to_string() << "\n";
    return 3;
  };

  std::vector<store::Registration> found;
  if (!request.node.empty()) {
    auto r = store::await<Result<store::Registration>>(
        [&](auto ex, auto done) { registrations.find(ex, request.node, done); });
    if (r.ok())
      found.push_back(std::move(r).value());
    else if (!r.status().is(StatusCode::not_found))
      return store_error(r.status());
  } else {
    auto r = store::await<Result<std::vector<store::Registration>>>(
        [&](auto ex, auto done) { registrations.find_by_token(ex, request.token, done); });
    if (!r.ok()) return store_error(r.status());
    found = std::move(r).value();
  }
  // The tombstone of the token asked for, or of the node's token.
  std::string token = !request.token.empty() ? request.token
                      : found.empty()        ? std::string()
                                             : found.front().token;
  std::optional<store::Tombstone> tombstone;
  if (!token.empty()) {
    std::string hash = sha256(token);
    auto all = store::await<Result<std::vector<store::Tombstone>>>(
        [&](auto ex, auto done) { tombstones.load_all(ex, done); });
    if (!all.ok()) return store_error(all.status());
    for (auto& t : *all)
      if (t.token_hash == hash) tombstone = t;
  }

  bool erase = request.action == GdprRequest::Action::erase;
  for (const auto& r : found) {
    if (erase) {
      Status s = store::await<Status>(
          [&](auto ex, auto done) { registrations.remove(ex, r.node, done); });
      if (!s.ok() && !s.is(StatusCode::not_found)) return store_error(s);
      out << "erased ";
    }
    print(out, r);
  }
  if (tombstone) {
    if (erase) {
      auto s = store::await<Result<size_t>>([&](auto ex, auto done) {
        tombstones.apply(ex, {{tombstone->token_hash, std::nullopt}}, done);
      });
      if (!s.ok()) return store_error(s.status());
      out << "erased ";
    }
    out << "tombstone\n"
        << "  token sha256: " << hex_encode(tombstone->token_hash) << "\n"
        << "  dead until: " << iso(tombstone->until) << "\n";
  }
  // A running Herald forgets the token's tombstone too (it may hold one the
  // store has not seen yet).
  bool server_forgot = false;
  if (erase && !token.empty()) {
    auto server = forget_in_running_server(config, sha256(token));
    if (!server.ok()) {
      err << "herald: " << server.status().message()
          << "; restart it for the running process to forget the tombstone\n";
      return 3;
    }
    server_forgot = server->value_or(false);
    if (server_forgot && !tombstone) out << "erased tombstone (in the running Herald)\n";
  }
  if (found.empty() && !tombstone && !server_forgot) {
    out << "nothing held for this " << (request.node.empty() ? "token" : "node") << "\n";
    return 1;
  }
  return 0;
}

}  // namespace herald::app
