// What the [app] configuration tests share: the smallest valid head of a
// configuration, one APNs module block, and the message parse_config throws
// for a text. Test files compose their inputs from these, so a new required
// key is added here once.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "apps/herald/config.h"

namespace herald::app::config_test {

// [server] and [s2s] with the keys every configuration needs; `server_keys`
// (whole lines) go into [server]. Line numbers stay stable for tests that
// check "file:line:" messages: [server] is line 1, [s2s] follows the extras.
inline std::string server_head(const std::string& server_keys = "") {
  return "[server]\ndomain = \"push.example.org\"\n" + server_keys +
         "[s2s]\ncertificate = \"push.crt\"\nkey = \"push.key\"\n";
}

// One token-auth APNs [[push.module]] (6 lines) named `name`.
inline std::string apns_module(const std::string& name) {
  return "[[push.module]]\nname = \"" + name +
         "\"\ntopic = \"org.example.app\"\nteam_id = \"TEAM123456\"\n"
         "key_id = \"KEY1234567\"\nkey_file = \"AuthKey.p8\"\n";
}

// The message parse_config throws for `text`, or "no error" if it accepts it.
inline std::string config_error(const std::string& text, const std::string& base_dir = "/base") {
  try {
    parse_config(text, base_dir);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

// The same for a text that must be refused: accepting it fails the test.
inline std::string expect_config_error(const std::string& text) {
  std::string error = config_error(text);
  if (error == "no error") {
    ADD_FAILURE() << "no error for:\n" << text;
    return {};
  }
  return error;
}

}  // namespace herald::app::config_test
