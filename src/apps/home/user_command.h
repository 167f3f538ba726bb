// `herald-home user add|del|passwd|list`: the accounts of the configured
// hosts, edited in the database the server uses (home_store.h). add and
// passwd read the password from `in`, one line (a trailing CR is dropped);
// an empty one is refused. list prints one username per line.
//
// Exit codes: 0 done; 1 with one line on `err` (user exists, no such user,
// unknown host, invalid username, empty password, the store failing);
// 2 for a configuration that does not load. Waits on the store (this is
// not an event loop). The password is never printed.
#pragma once

#include <iosfwd>
#include <string>

namespace herald::home::app {

struct UserCommand {
  std::string config_path;
  std::string action;  // "add", "del", "passwd", "list"
  std::string host;
  std::string username;  // not for "list"
};

int run_user_command(const UserCommand& command, std::istream& in, std::ostream& out,
                     std::ostream& err);

}  // namespace herald::home::app
