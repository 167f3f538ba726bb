#include "store/tombstone_store.h"

#include "store/push_schema.h"

namespace herald::store {

void TombstoneStore::load_all(Executor executor,
                              std::function<void(Result<std::vector<Tombstone>>)> done) {
  db_.run<std::vector<Tombstone>>(
      std::move(executor),
      [](Connection& c) -> Result<std::vector<Tombstone>> {
        auto rows = c.query("SELECT token_hash, until FROM tombstones");
        if (!rows.ok()) return rows.status();
        std::vector<Tombstone> out;
        out.reserve(rows->rows.size());
        for (const Row& r : rows->rows) out.push_back({r.text(0), from_unix_seconds(r.integer(1))});
        return out;
      },
      std::move(done));
}

void TombstoneStore::apply(Executor executor, std::vector<TombstoneChange> changes,
                           std::function<void(Result<size_t>)> done) {
  db_.run<size_t>(
      std::move(executor),
      [changes = std::move(changes)](Connection& c) -> Result<size_t> {
        size_t changed = 0;
        Status s = c.transaction([&]() -> Status {
          for (const TombstoneChange& change : changes) {
            auto r = change.until
                         ? c.query("INSERT INTO tombstones (token_hash, until) VALUES ($1, $2) "
                                   "ON CONFLICT (token_hash) DO UPDATE SET until = excluded.until",
                                   {Blob{change.token_hash}, to_unix_seconds(*change.until)})
                         : c.query("DELETE FROM tombstones WHERE token_hash = $1",
                                   {Blob{change.token_hash}});
            if (!r.ok()) return r.status();
            changed += size_t(r->affected);
          }
          return Status::Ok();
        });
        if (!s.ok()) return s;
        return changed;
      },
      std::move(done));
}

void TombstoneStore::purge_expired(Executor executor, TimePoint now,
                                   std::function<void(Result<size_t>)> done) {
  db_.run<size_t>(
      std::move(executor),
      [now](Connection& c) -> Result<size_t> {
        auto r = c.query("DELETE FROM tombstones WHERE until <= $1", {to_unix_seconds(now)});
        if (!r.ok()) return r.status();
        return size_t(r->affected);
      },
      std::move(done));
}

}  // namespace herald::store
