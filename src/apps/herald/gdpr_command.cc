#include "apps/herald/gdpr_command.h"

#include <ctime>
#include <filesystem>
#include <ostream>

#include "apps/herald/config.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "store/postgres_store.h"
#include "store/sqlite_registration_store.h"
#include "store/sqlite_store.h"

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
  // The same backend as `herald serve` (server.cc): SQLite in data_dir, or
  // the shared PostgreSQL database.
  std::unique_ptr<store::SqliteStore> sqlite;
  std::unique_ptr<store::SqliteRegistrationStore> sqlite_registrations;
  std::unique_ptr<store::PostgresStore> postgres;
  store::TombstoneStore* tombstones = nullptr;
  store::RegistrationStore* registrations = nullptr;
  std::string error;
  if (config.store_backend == "postgresql") {
    postgres = store::PostgresStore::open(config.store_postgresql, &error);
    if (!postgres) {
      err << "herald: store: " << error << "\n";
      return 3;
    }
    tombstones = postgres.get();
    registrations = postgres.get();
  } else {
    std::string db_path = (std::filesystem::path(config.data_dir) / "herald.sqlite").string();
    sqlite = store::SqliteStore::open(db_path, &error);
    if (!sqlite) {
      err << "herald: store: " << db_path << ": " << error << "\n";
      return 3;
    }
    sqlite_registrations = std::make_unique<store::SqliteRegistrationStore>(*sqlite);
    tombstones = sqlite.get();
    registrations = sqlite_registrations.get();
  }

  std::vector<store::Registration> found;
  if (!request.node.empty()) {
    store::Registration r;
    store::StoreStatus s = registrations->find(request.node, &r);
    if (s == store::StoreStatus::kError) {
      err << "herald: store error\n";
      return 3;
    }
    if (s == store::StoreStatus::kOk) found.push_back(std::move(r));
  } else {
    found = registrations->find_by_token(request.token);
  }
  // The tombstone of the token asked for, or of the node's token.
  std::string token = !request.token.empty() ? request.token
                      : found.empty()        ? std::string()
                                             : found.front().token;
  std::optional<store::Tombstone> tombstone;
  if (!token.empty()) {
    std::string hash = sha256(token);
    for (auto& t : tombstones->load_all())
      if (t.token_hash == hash) tombstone = t;
  }

  bool erase = request.action == GdprRequest::Action::erase;
  for (const auto& r : found) {
    if (erase) {
      if (registrations->remove(r.node) == store::StoreStatus::kError) {
        err << "herald: store error\n";
        return 3;
      }
      out << "erased ";
    }
    print(out, r);
  }
  if (tombstone) {
    if (erase) {
      if (!tombstones->erase(tombstone->token_hash)) {
        err << "herald: store error\n";
        return 3;
      }
      out << "erased ";
    }
    out << "tombstone\n"
        << "  token sha256: " << hex_encode(tombstone->token_hash) << "\n"
        << "  dead until: " << iso(tombstone->until) << "\n";
  }
  if (found.empty() && !tombstone) {
    out << "nothing held for this " << (request.node.empty() ? "token" : "node") << "\n";
    return 1;
  }
  if (erase && tombstone) out << "(restart Herald for a running process to forget the tombstone)\n";
  return 0;
}

}  // namespace herald::app
