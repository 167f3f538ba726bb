#include "base/config_reader.h"

#include "base/toml_errors.h"

#include "base/host_port.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace herald::config {

void fail(std::string_view key, std::string_view problem) {
  throw std::runtime_error("configuration: " + std::string(key) + ": " + std::string(problem));
}

void Table::string(std::string_view k, std::string& out) const {
  if (auto node = table_.get(k)) {
    auto v = node->value<std::string>();
    if (!v) fail(k, "must be a string");
    out = *v;
  }
}

void Table::path(std::string_view k, std::string& out) const {
  string(k, out);
  if (!out.empty() && std::filesystem::path(out).is_relative())
    out = (std::filesystem::path(base_dir_) / out).lexically_normal().string();
}

void Table::boolean(std::string_view k, bool& out) const {
  if (auto node = table_.get(k)) {
    auto v = node->value<bool>();
    if (!v) fail(k, "must be true or false");
    out = *v;
  }
}

void Table::seconds(std::string_view k, std::chrono::seconds& out, int64_t min, int64_t max) const {
  if (auto node = table_.get(k)) {
    auto v = node->value<int64_t>();
    if (!v) fail(k, "must be a whole number of seconds");
    if (*v < min || *v > max)
      fail(k, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    out = std::chrono::seconds(*v);
  }
}

void Table::seconds(std::string_view k, std::chrono::milliseconds& out, int64_t min,
                    int64_t max) const {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(out);
  seconds(k, s, min, max);
  if (table_.contains(k)) out = s;
}

void Table::size(std::string_view k, size_t& out, int64_t min, int64_t max) const {
  if (auto node = table_.get(k)) {
    auto v = node->value<int64_t>();
    if (!v || *v < min || *v > max)
      fail(k, "must be a number between " + std::to_string(min) + " and " + std::to_string(max));
    out = size_t(*v);
  }
}

void Table::number(std::string_view k, double& out, double min, double max) const {
  if (auto node = table_.get(k)) {
    auto v = node->value<double>();  // integers convert too
    if (!v || *v < min || *v > max)
      fail(k, "must be a number between " + std::to_string(int64_t(min)) + " and " +
                  std::to_string(int64_t(max)));
    out = *v;
  }
}

void Table::strings(std::string_view k, std::vector<std::string>& out) const {
  if (auto node = table_.get(k)) {
    auto* array = node->as_array();
    if (!array) fail(k, "must be a list of strings");
    out.clear();
    for (auto& item : *array) {
      auto v = item.value<std::string>();
      if (!v) fail(k, "must be a list of strings");
      out.push_back(*v);
    }
  }
}

void Table::addresses(std::string_view k, std::vector<std::string>& out) const {
  strings(k, out);
  for (const auto& a : out)
    if (!parse_host_port(a)) fail(k, "\"" + a + "\" is not \"ip:port\"");
}

const toml::table* Table::table(std::string_view k) const {
  auto node = table_.get(k);
  if (!node) return nullptr;
  if (!node->as_table()) fail(k, "must be a table");
  return node->as_table();
}

std::optional<Table> Table::section(std::string_view k) const {
  if (const toml::table* t = table(k)) return Table(*t, key(k), base_dir_);
  return std::nullopt;
}

std::vector<Table> Table::array_of_tables(std::string_view k) const {
  std::vector<Table> out;
  auto node = table_.get(k);
  if (!node) return out;
  auto* array = node->as_array();
  if (!array) fail(k, "must be an array of tables ([[" + key(k) + "]])");
  for (size_t i = 0; i < array->size(); ++i) {
    std::string prefix = key(k) + "[" + std::to_string(i) + "]";
    auto* t = (*array)[i].as_table();
    if (!t) config::fail(prefix, "must be a table");
    out.emplace_back(*t, prefix, base_dir_);
  }
  return out;
}

void Table::reject_unknown(std::initializer_list<std::string_view> known) const {
  for (auto& [k, v] : table_) {
    bool ok = false;
    for (auto name : known) ok = ok || k.str() == name;
    if (!ok) fail(k.str(), "unknown key (see the configuration reference)");
  }
}

toml::table parse(std::string_view text) {
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "configuration: line " << e.source().begin.line << ": syntax error at column "
        << e.source().begin.column << ": " << plain_toml_error(e.description());
    throw std::runtime_error(msg.str());
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("configuration: cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string locate_error(const std::string& path, const std::string& toml_text,
                         const std::string& message) {
  std::string text = message;
  const std::string prefix = "configuration: ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  // Syntax errors already carry their line.
  std::smatch m;
  static const std::regex line_re("^line ([0-9]+): (.*)$");
  if (std::regex_match(text, m, line_re)) return path + ":" + m[1].str() + ": " + m[2].str();
  auto colon = text.find(": ");
  if (colon == std::string::npos) return path + ": " + text;
  std::string key = text.substr(0, colon);
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error&) {
    return path + ": " + text;
  }
  // The key itself, else the closest enclosing table that exists.
  std::string probe = key;
  while (!probe.empty()) {
    toml::node_view<toml::node> node = toml::at_path(root, probe);
    if (node && node.node()->source().begin.line > 0)
      return path + ":" + std::to_string(node.node()->source().begin.line) + ": " + text;
    auto cut = probe.find_last_of(".[");
    if (cut == std::string::npos) break;
    probe = probe.substr(0, cut);
  }
  return path + ": " + text;
}

}  // namespace herald::config
