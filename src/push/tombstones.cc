#include "push/tombstones.h"

#include <algorithm>

#include "base/crypto.h"
#include "base/log.h"

namespace herald::push {

Tombstones::Tombstones(asio::any_io_executor loop, store::TombstoneStore& store,
                       TombstonesOptions options)
    : loop_(std::move(loop)),
      store_(store),
      options_(options),
      retry_(loop_),
      self_(std::make_shared<Tombstones*>(this)) {}

Tombstones::~Tombstones() {
  self_.reset();  // answers still on their way find nobody
}

Status Tombstones::load() {
  auto all = store::await<Result<std::vector<store::Tombstone>>>(
      [&](auto executor, auto done) { store_.load_all(executor, done); });
  if (!all.ok()) return all.status();
  dead_until_.clear();
  for (auto& t : *all) dead_until_[std::move(t.token_hash)] = t.until;
  return Status::Ok();
}

bool Tombstones::is_dead(std::string_view token, TimePoint now) const {
  return is_dead_hashed(sha256(token), now);
}

bool Tombstones::is_dead_hashed(const std::string& token_sha256, TimePoint now) const {
  auto it = dead_until_.find(token_sha256);
  return it != dead_until_.end() && now < it->second;
}

void Tombstones::bury(std::string_view token, TimePoint until) {
  std::string hash = sha256(token);
  dead_until_[hash] = until;
  change(hash, until);
}

bool Tombstones::clear(std::string_view token) {
  return clear_hashed(sha256(token));
}

bool Tombstones::clear_hashed(const std::string& token_sha256) {
  bool existed = dead_until_.erase(token_sha256) > 0;
  change(token_sha256, std::nullopt);
  return existed;
}

void Tombstones::purge_expired(TimePoint now) {
  std::erase_if(dead_until_, [&](const auto& entry) { return entry.second <= now; });
  store_.purge_expired(loop_, now, [](Result<size_t> purged) {
    if (!purged.ok())
      log::info("tombstones: purging expired ones from the store failed ({}); next hour",
                purged.status().to_string());
  });
}

void Tombstones::change(const std::string& hash, std::optional<TimePoint> until) {
  auto it = unsaved_.find(hash);
  if (it == unsaved_.end() && unsaved_.size() >= options_.max_unsaved) {
    if (!overflow_logged_)
      log::warn("tombstones: more than {} changes wait for the store; later ones are kept in "
                "memory only",
                options_.max_unsaved);
    overflow_logged_ = true;
    return;
  }
  unsaved_[hash] = Change{until, ++seq_};
  save();
}

void Tombstones::save() {
  // One batch at a time keeps the store's order that of the changes; while
  // failing, the retry timer decides when to try again.
  if (saving_ || retry_armed_ || unsaved_.empty()) return;
  std::vector<store::TombstoneChange> changes;
  std::vector<std::pair<std::string, uint64_t>> batch;
  for (const auto& [hash, c] : unsaved_) {
    if (changes.size() >= options_.batch) break;
    changes.push_back({hash, c.until});
    batch.emplace_back(hash, c.seq);
  }
  saving_ = true;
  std::weak_ptr<Tombstones*> weak = self_;
  store_.apply(loop_, std::move(changes),
               [weak, batch = std::move(batch)](Result<size_t> result) {
                 if (auto self = weak.lock()) (*self)->saved(batch, result.status());
               });
}

void Tombstones::saved(const std::vector<std::pair<std::string, uint64_t>>& batch,
                       const Status& status) {
  saving_ = false;
  if (!status.ok()) {
    if (!failing_)
      log::warn("tombstones: the store failed ({}); changes are kept in memory and saved when it "
                "is back (retrying every {} ms)",
                status.to_string(), options_.retry_interval.count());
    failing_ = true;
    retry_armed_ = true;
    retry_.expires_after(options_.retry_interval);
    std::weak_ptr<Tombstones*> weak = self_;
    retry_.async_wait([weak](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      (*self)->retry_armed_ = false;
      (*self)->save();
    });
    return;
  }
  if (failing_) log::info("tombstones: the store is back; saving the changes kept in memory");
  failing_ = false;
  // A hash changed again while its batch was written keeps its newer change.
  for (const auto& [hash, seq] : batch) {
    auto it = unsaved_.find(hash);
    if (it != unsaved_.end() && it->second.seq == seq) unsaved_.erase(it);
  }
  if (overflow_logged_ && unsaved_.empty()) overflow_logged_ = false;
  save();
}

}  // namespace herald::push
