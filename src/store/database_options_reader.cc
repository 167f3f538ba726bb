#include "store/database_options_reader.h"

#include <filesystem>

#include "base/config_reader.h"

namespace herald::store {

void read_database_options(const config::Table& t, const std::string& default_sqlite_file,
                           DatabaseOptions& o) {
  t.reject_unknown({"engine", "path", "postgresql", "workers", "queue_timeout",
                    "statement_timeout", "connect_timeout"});
  std::string engine = "sqlite";
  t.string("engine", engine);
  if (engine != "sqlite" && engine != "postgresql")
    t.fail("engine", "must be \"sqlite\" or \"postgresql\"");
  o.engine = engine == "sqlite" ? Engine::sqlite : Engine::postgres;
  if (o.engine == Engine::sqlite) {
    if (t.has("postgresql")) t.fail("postgresql", "only with engine = \"postgresql\"");
    o.target = default_sqlite_file;
    std::string path;
    t.string("path", path);
    if (!path.empty()) {
      std::filesystem::path p(path);
      o.target = (p.is_relative() ? std::filesystem::path(default_sqlite_file).parent_path() / p : p)
                     .lexically_normal()
                     .string();
    }
  } else {
    if (t.has("path")) t.fail("path", "only with engine = \"sqlite\"");
    o.target.clear();
    t.string("postgresql", o.target);
    if (o.target.empty()) t.fail("postgresql", "a libpq connection string is required");
  }
  t.size("workers", o.workers, 1, 64);
  t.seconds("queue_timeout", o.queue_timeout, 1, 60);
  t.seconds("statement_timeout", o.statement_timeout, 1, 300);
  t.seconds("connect_timeout", o.connect_timeout, 1, 60);
}

}  // namespace herald::store
