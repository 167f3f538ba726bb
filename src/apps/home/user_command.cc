#include "apps/home/user_command.h"

#include <istream>
#include <ostream>

#include "apps/home/config.h"
#include "apps/home/home_store.h"
#include "home/accounts/account_store.h"
#include "net/cpu_pool.h"

namespace herald::home::app {
namespace {

// One line from `in`, without its line end.
bool read_password(std::istream& in, std::string* password) {
  if (!std::getline(in, *password)) password->clear();
  if (!password->empty() && password->back() == '\r') password->pop_back();
  return !password->empty();
}

}  // namespace

int run_user_command(const UserCommand& command, std::istream& in, std::ostream& out,
                     std::ostream& err) {
  HomeConfig config;
  try {
    config = load_home_config(command.config_path);
  } catch (const std::exception& e) {
    err << "herald-home: " << e.what() << "\n";
    return 2;
  }
  std::unique_ptr<store::Database> db;
  try {
    db = open_home_database(config);
  } catch (const std::exception& e) {
    err << "herald-home: " << e.what() << "\n";
    return 1;
  }
  net::CpuPool cpu(1, 4);
  accounts::AccountStore accounts(*db, cpu, config.hub.hosts, config.c2s.scram_iterations);
  // Checked before the password is read, so a typo costs no typing.
  if (!accounts.serves(command.host)) {
    err << "herald-home: unknown host (not one of the configuration's [[hosts]])\n";
    return 1;
  }
  const std::string& host = command.host;
  const std::string& user = command.username;
  Status status;
  if (command.action == "list") {
    auto names = store::await<Result<std::vector<std::string>>>(
        [&](auto ex, auto done) { accounts.list(ex, host, done); });
    if (names.ok())
      for (const std::string& name : *names) out << name << "\n";
    status = names.ok() ? Status::Ok() : names.status();
  } else if (command.action == "del") {
    status = store::await<Status>([&](auto ex, auto done) { accounts.remove(ex, host, user, done); });
  } else {
    std::string password;
    if (!read_password(in, &password)) {
      err << "herald-home: empty password (give it on standard input, one line)\n";
      return 1;
    }
    bool add = command.action == "add";
    status = store::await<Status>([&](auto ex, auto done) {
      if (add)
        accounts.add(ex, host, user, std::move(password), done);
      else
        accounts.set_password(ex, host, user, std::move(password), done);
    });
  }
  if (status.ok()) return 0;
  err << "herald-home: " << status.message() << "\n";
  return 1;
}

}  // namespace herald::home::app
