#pragma once
// The application's answers (--auth-url, --channels-url), kept for a while so that the
// same question is not asked again. Bounded whatever clients send: questions are keyed
// by a SHA-256 digest of what they forward (a 15 KB cookie costs 32 bytes), at most
// Limits entries and bytes are held (the soonest to expire make room), and expired
// answers are dropped as answers are stored. Not synchronized: its owner's lock guards it.
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace es::auth {

// An answer costs its key, what it holds and about 200 bytes of bookkeeping; `bytes`
// counts all three.
struct WebhookCacheLimits {
  std::size_t entries = 100000;
  std::size_t bytes = 32 << 20;
};

struct CacheUse {
  std::size_t entries;
  std::size_t bytes;
};

constexpr std::size_t digest_size = 32;

// The SHA-256 of `text`, 32 raw bytes.
std::string digest(std::string_view text);

template <class Answer>
class AnswerCache {
public:
  using Clock = std::chrono::steady_clock;
  explicit AnswerCache(WebhookCacheLimits limits) : limits_(limits) {}

  // The answer kept for `key` until after `now`, or null.
  const Answer* find(const std::string& key, Clock::time_point now) const {
    auto it = cache_.find(key);
    return it != cache_.end() && it->second.until > now ? &it->second.answer : nullptr;
  }

  // Keeps `answer` until `until`; `answer_bytes` is what it holds beyond its key.
  void store(const std::string& key, Answer answer, Clock::time_point until, std::size_t answer_bytes = 0) {
    auto now = Clock::now();
    while (!expiry_.empty() && expiry_.begin()->first <= now) forget(cache_.find(*expiry_.begin()->second));
    if (auto old = cache_.find(key); old != cache_.end()) forget(old);
    std::size_t cost = key.size() + answer_bytes + entry_overhead;
    if (cost > limits_.bytes) return;
    // The cache only saves round trips: the answers that would expire first make room.
    while (!cache_.empty() && (cache_.size() >= limits_.entries || bytes_ + cost > limits_.bytes))
      forget(cache_.find(*expiry_.begin()->second));
    auto entry = cache_.emplace(key, Cached{std::move(answer), until, cost, {}}).first;
    entry->second.expiry = expiry_.emplace(until, &entry->first);
    bytes_ += cost;
  }

  // Forgets every answer whose key starts with `prefix`.
  void forget_prefix(const std::string& prefix) {
    for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);) it = forget(it);
  }

  CacheUse use() const { return {cache_.size(), bytes_}; }

private:
  // A cached answer's two tree nodes (cache_, expiry_) beyond its key, roughly.
  static constexpr std::size_t entry_overhead = 200;
  using Expiry = std::multimap<Clock::time_point, const std::string*>; // cache_'s keys, soonest to expire first
  struct Cached {
    Answer answer;
    Clock::time_point until;
    std::size_t cost;
    typename Expiry::iterator expiry;
  };
  using Entry = typename std::map<std::string, Cached>::iterator;

  Entry forget(Entry entry) {
    expiry_.erase(entry->second.expiry);
    bytes_ -= entry->second.cost;
    return cache_.erase(entry);
  }

  const WebhookCacheLimits limits_;
  std::map<std::string, Cached> cache_; // ordered: forget_prefix
  Expiry expiry_;
  std::size_t bytes_ = 0;
};

} // namespace es::auth
