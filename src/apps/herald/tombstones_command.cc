#include "apps/herald/tombstones_command.h"

#include <ostream>

#include "apps/herald/admin_socket.h"
#include "apps/herald/store_setup.h"
#include "base/crypto.h"
#include "base/encoding.h"
#include "base/log.h"
#include "store/tombstone_store.h"

namespace herald::app {

namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr size_t kListedDigits = 16;
constexpr size_t kMinDigits = 8;

Result<std::vector<store::Tombstone>> load_all(store::TombstoneStore& store) {
  return store::await<Result<std::vector<store::Tombstone>>>(
      [&](auto executor, auto done) { store.load_all(executor, done); });
}

int store_error(std::ostream& err, const Status& s) {
  err << "herald: store error: " << s.to_string() << "\n";
  return 3;
}

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'F') c = char(c - 'A' + 'a');
  return s;
}

}  // namespace

Result<std::optional<bool>> forget_in_running_server(const Config& config,
                                                     const std::string& token_sha256) {
  auto answer = admin_request(admin_socket_path(config.data_dir),
                              "forget-tombstone " + hex_encode(token_sha256));
  if (!answer.ok()) return answer.status();
  if (!*answer) return std::optional<bool>();
  if (**answer == "forgotten") return std::optional<bool>(true);
  if (**answer == "none") return std::optional<bool>(false);
  return Internal("the running Herald answered: " + **answer);
}

int run_tombstones_list(const Config& config, std::ostream& out, std::ostream& err) {
  auto db = open_database(config, err);
  if (!db) return 3;
  store::TombstoneStore store(*db);
  auto all = load_all(store);
  if (!all.ok()) return store_error(err, all.status());
  for (const auto& t : *all)
    out << kHashPrefix << hex_encode(t.token_hash).substr(0, kListedDigits) << "  "
        << utc_timestamp(t.until) << "\n";
  out << all->size() << " tombstone(s)\n";
  return 0;
}

int run_tombstones_clear(const Config& config, const std::string& token_or_hash, std::ostream& out,
                         std::ostream& err) {
  auto db = open_database(config, err);
  if (!db) return 3;
  store::TombstoneStore store(*db);
  std::string hash;
  if (token_or_hash.starts_with(kHashPrefix)) {
    // A hash prefix: it must name exactly one stored tombstone.
    std::string digits = lowercase(token_or_hash.substr(kHashPrefix.size()));
    if (digits.size() < kMinDigits || digits.size() > 64 || !is_hex(digits)) {
      err << "herald: give sha256: and 8 to 64 hex digits, as `herald tombstones list` prints\n";
      return 2;
    }
    auto all = load_all(store);
    if (!all.ok()) return store_error(err, all.status());
    size_t matches = 0;
    for (const auto& t : *all)
      if (hex_encode(t.token_hash).starts_with(digits)) {
        hash = t.token_hash;
        ++matches;
      }
    if (matches > 1) {
      err << "herald: " << matches << " tombstones start with sha256:" << digits
          << "; give more digits\n";
      return 2;
    }
    if (matches == 0) {
      out << "no tombstone for sha256:" << digits << "\n";
      return 1;
    }
  } else {
    hash = sha256(token_or_hash);
  }
  auto erased = store::await<Result<size_t>>([&](auto executor, auto done) {
    store.apply(executor, {{hash, std::nullopt}}, done);
  });
  if (!erased.ok()) return store_error(err, erased.status());
  auto server = forget_in_running_server(config, hash);
  std::string name = kHashPrefix.data() + hex_encode(hash).substr(0, kListedDigits);
  bool found = *erased > 0 || (server.ok() && server->value_or(false));
  out << (found ? "tombstone cleared: " : "no tombstone for ") << name;
  if (!server.ok()) {
    out << "\n";
    err << "herald: " << server.status().message()
        << "; restart it for the running process to forget the tombstone\n";
    return 3;
  }
  if (!server->has_value())
    out << " (no running Herald on this data_dir)\n";
  else
    out << (**server ? " (the running Herald forgot it)\n" : " (the running Herald had none)\n");
  return found ? 0 : 1;
}

}  // namespace herald::app
