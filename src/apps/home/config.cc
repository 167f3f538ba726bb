#include "apps/home/config.h"

#include <filesystem>

#include "base/config_reader.h"
#include "store/database_options_reader.h"
#include "xmpp/c2s/c2s_config_reader.h"
#include "xmpp/s2s/s2s_config_reader.h"

namespace herald::home::app {
namespace {

void read_server(const config::Table& t, HomeConfig& c) {
  t.reject_unknown({"threads", "cpu_threads", "data_dir", "shutdown_timeout"});
  t.size("threads", c.threads, 0, 1024);
  t.size("cpu_threads", c.cpu_threads, 0, 1024);
  t.path("data_dir", c.data_dir);
  t.seconds("shutdown_timeout", c.shutdown_timeout, 1, 300);
}

void read_log(const config::Table& t, log::Options& o) {
  t.reject_unknown({"level", "format", "file"});
  std::string level = "info", format = "text";
  t.string("level", level);
  if (!log::parse_level(level, &o.level)) t.fail("level", "must be debug, info, warn or error");
  t.string("format", format);
  if (!log::parse_format(format, &o.format)) t.fail("format", "must be \"text\" or \"json\"");
  t.path("file", o.file);
}

}  // namespace

HomeConfig parse_home_config(std::string_view toml_text, const std::string& base_dir) {
  toml::table document = config::parse(toml_text);
  config::Table root(document, "", base_dir);
  root.reject_unknown({"server", "log", "hosts", "sessions", "c2s", "s2s", "store"});
  HomeConfig c;
  c.c2s = xmpp::default_c2s_config();
  c.s2s = xmpp::default_s2s_config();
  if (auto t = root.section("server")) read_server(*t, c);
  if (!std::filesystem::path(c.data_dir).is_absolute())
    c.data_dir = (std::filesystem::path(base_dir) / c.data_dir).lexically_normal().string();
  if (auto t = root.section("log")) read_log(*t, c.log);
  c.hosts = core::read_hosts(root);
  if (auto t = root.section("sessions")) core::read_sessions(*t, c.hub);
  if (auto t = root.section("c2s")) xmpp::read_c2s_config(*t, c.c2s);
  if (auto t = root.section("s2s")) xmpp::read_s2s_config(*t, c.s2s);
  std::string sqlite_file = (std::filesystem::path(c.data_dir) / "home.sqlite").string();
  c.store.target = sqlite_file;
  if (auto t = root.section("store")) store::read_database_options(*t, sqlite_file, c.store);
  // The hosts serve accounts (hub), client streams and server streams, each
  // with the host's certificate.
  for (const auto& h : c.hosts) {
    c.hub.hosts.push_back(h.domain);
    c.c2s.hosts.push_back({h.domain, h.certificate, h.key});
    c.s2s.domains.push_back({h.domain, h.certificate, h.key});
  }
  return c;
}

HomeConfig load_home_config(const std::string& path) {
  std::string text = config::read_file(path);
  return parse_home_config(text, std::filesystem::absolute(path).parent_path().string());
}

}  // namespace herald::home::app
