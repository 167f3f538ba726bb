// Reading a TOML configuration file into plain structs, the same way for
// every component: each component owns its config struct and a reader
// function that takes the Table of its section (xmpp::C2sConfig from
// [c2s], store::DatabaseOptions from [store], ...), so the application only
// says which section goes where.
//
// Contract: every problem throws std::runtime_error "configuration: KEY:
// PROBLEM", naming the full key (e.g. "hosts[1].certificate"), so
// locate_error() can point at the file's line. Relative paths are resolved
// against the file's directory. Start-up only.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

namespace herald::config {

[[noreturn]] void fail(std::string_view key, std::string_view problem);

class Table {
 public:
  Table(const toml::table& table, std::string prefix, std::string base_dir)
      : table_(table), prefix_(std::move(prefix)), base_dir_(std::move(base_dir)) {}

  // The full name of key `k` of this table, for messages.
  std::string key(std::string_view k) const {
    return prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
  }
  [[noreturn]] void fail(std::string_view k, std::string_view problem) const {
    config::fail(key(k), problem);
  }
  bool has(std::string_view k) const { return table_.contains(k); }

  // Each leaves `out` as it is when the key is absent.
  void string(std::string_view k, std::string& out) const;
  void path(std::string_view k, std::string& out) const;
  void boolean(std::string_view k, bool& out) const;
  void seconds(std::string_view k, std::chrono::seconds& out, int64_t min, int64_t max) const;
  // Given in whole seconds, kept as milliseconds (the structs' unit).
  void seconds(std::string_view k, std::chrono::milliseconds& out, int64_t min, int64_t max) const;
  void size(std::string_view k, size_t& out, int64_t min, int64_t max) const;
  void number(std::string_view k, double& out, double min, double max) const;
  void strings(std::string_view k, std::vector<std::string>& out) const;
  // A list of "host:port" (listen addresses, DNS servers).
  void addresses(std::string_view k, std::vector<std::string>& out) const;
  // A sub-table, or nullptr when absent (a non-table value fails).
  const toml::table* table(std::string_view k) const;
  std::optional<Table> section(std::string_view k) const;
  // [[k]]: an array of tables, each with its "k[i]" prefix.
  std::vector<Table> array_of_tables(std::string_view k) const;
  void reject_unknown(std::initializer_list<std::string_view> known) const;

  const toml::table& raw() const { return table_; }
  const std::string& base_dir() const { return base_dir_; }

 private:
  const toml::table& table_;
  std::string prefix_;
  std::string base_dir_;
};

// Parses the text (a syntax error fails as "line N: ..."); `base_dir` is
// what relative paths are relative to.
toml::table parse(std::string_view text);
// Reads the file (std::runtime_error when it cannot) into *text.
std::string read_file(const std::string& path);

// "file:line: message" for a fail() message, or "file: message" when no
// line can be found: the key itself, else its closest enclosing table.
std::string locate_error(const std::string& path, const std::string& toml_text,
                         const std::string& message);

}  // namespace herald::config
