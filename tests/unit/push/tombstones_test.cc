#include "push/tombstones.h"

#include <gtest/gtest.h>

#include <map>

#include "base/crypto.h"

namespace herald::push {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// Records what reaches the store.
class MemoryStore : public store::TombstoneStore {
 public:
  std::vector<store::Tombstone> load_all() override {
    std::vector<store::Tombstone> out;
    for (auto& [hash, until] : rows) out.push_back({hash, until});
    return out;
  }
  bool put(std::string_view hash, system_clock::time_point until) override {
    rows[std::string(hash)] = until;
    return true;
  }
  bool erase(std::string_view hash) override { return rows.erase(std::string(hash)) > 0; }
  size_t purge_expired(system_clock::time_point now) override {
    return std::erase_if(rows, [&](const auto& r) { return r.second <= now; });
  }
  std::map<std::string, system_clock::time_point> rows;
};

const system_clock::time_point now = system_clock::time_point(1700000000s);

TEST(Tombstones, BuryWritesTheHashNotTheToken) {
  MemoryStore store;
  Tombstones tombstones(store);
  tombstones.bury("aabbcc", now + 1h);
  ASSERT_EQ(store.rows.size(), 1u);
  EXPECT_EQ(store.rows.begin()->first, sha256("aabbcc"));
  EXPECT_EQ(store.rows.begin()->second, now + 1h);
  EXPECT_TRUE(tombstones.is_dead("aabbcc", now));
  EXPECT_FALSE(tombstones.is_dead("aabbcd", now));
  EXPECT_TRUE(tombstones.is_dead_hashed(sha256("aabbcc"), now));
  EXPECT_FALSE(tombstones.is_dead_hashed(sha256("aabbcd"), now));
}

TEST(Tombstones, DeadOnlyUntilTheGivenTime) {
  MemoryStore store;
  Tombstones tombstones(store);
  tombstones.bury("t", now + 1h);
  EXPECT_TRUE(tombstones.is_dead("t", now + 59min));
  EXPECT_FALSE(tombstones.is_dead("t", now + 1h));
}

TEST(Tombstones, LoadedFromStore) {
  MemoryStore store;
  store.rows[sha256("old")] = now + 1h;
  Tombstones tombstones(store);
  EXPECT_TRUE(tombstones.is_dead("old", now));
  EXPECT_EQ(tombstones.size(), 1u);
}

TEST(Tombstones, ClearForgetsInMemoryAndStore) {
  MemoryStore store;
  Tombstones tombstones(store);
  tombstones.bury("t", now + 1h);
  EXPECT_TRUE(tombstones.clear("t"));
  EXPECT_FALSE(tombstones.is_dead("t", now));
  EXPECT_TRUE(store.rows.empty());
  EXPECT_FALSE(tombstones.clear("t"));
}

TEST(Tombstones, PurgeDropsExpired) {
  MemoryStore store;
  Tombstones tombstones(store);
  tombstones.bury("a", now + 1h);
  tombstones.bury("b", now + 3h);
  tombstones.purge_expired(now + 2h);
  EXPECT_EQ(tombstones.size(), 1u);
  EXPECT_EQ(store.rows.size(), 1u);
  EXPECT_TRUE(tombstones.is_dead("b", now + 2h));
}

}  // namespace
}  // namespace herald::push
