#include "publish/publisher.hpp"

#include <algorithm>
#include <utility>

#include "metrics/metrics.hpp"
#include "sse/event_id.hpp"
#include "util/log.hpp"

namespace es::publish {
namespace {

// A group stops growing here, so one transaction stays short.
constexpr std::size_t group_events = 10000;
constexpr std::size_t trim_batch = 1000;

} // namespace

Publisher::Publisher(hub::Hubs& hubs, storage::Storage* storage, bool group_commits, GlobSet reliable,
                     std::chrono::seconds retention, grip::GripPublisher* grip, redis::RedisFanout* fanout)
    : hubs_(hubs), grip_(grip), fanout_(fanout), storage_(storage), group_commits_(group_commits), reliable_(std::move(reliable)),
      retention_(retention), committer_([this] { run(); }) {}

Publisher::~Publisher() { stop(); }

void Publisher::publish(std::vector<PublishItem> items, Done done) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    return done({{}, "the server is shutting down; publish again once it is back"});
  }
  if (!group_commits_) {
    // Nothing to gain from grouping: commit on the caller's thread, which saves two
    // thread hops per request. The lock keeps ids and fan-out in one order.
    std::vector<Request> one;
    one.push_back({std::move(items), std::move(done)});
    return commit_all_or_answer(one);
  }
  queue_.push_back({std::move(items), std::move(done)});
  wake_.notify_one();
}

void Publisher::commit_all_or_answer(std::vector<Request>& group) {
  try {
    commit(group);
  } catch (const std::exception& e) {
    // Only what cannot fail in practice is left here (allocation); answer rather than die.
    log(LogLevel::error, std::string("publishing failed: ") + e.what());
    for (auto& request : group)
      if (request.done) std::exchange(request.done, nullptr)({{}, std::string("internal error: ") + e.what()});
  }
}

void Publisher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !committer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (committer_.joinable()) committer_.join();
}

void Publisher::run() {
  // Trimming every tenth of the retention (at most every 10 s) bounds how long an
  // expired event outlives its retention.
  auto trim_every = std::clamp<std::chrono::steady_clock::duration>(retention_ / 10, std::chrono::milliseconds(100),
                                                                    std::chrono::seconds(10));
  auto next_trim = std::chrono::steady_clock::now() + trim_every;
  std::vector<Request> group;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return stopping_ || !queue_.empty(); };
      if (storage_) wake_.wait_until(lock, next_trim, ready);
      else wake_.wait(lock, ready);
      std::size_t events = 0;
      while (!queue_.empty() && events < group_events) {
        events += queue_.front().items.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (group.empty() && stopping_) return;
    }
    if (!group.empty()) {
      commit_all_or_answer(group);
      group.clear();
    }
    if (storage_ && std::chrono::steady_clock::now() >= next_trim)
      next_trim = std::chrono::steady_clock::now() + (trim_some() ? std::chrono::steady_clock::duration{} : trim_every);
  }
}

// Returns true when a full batch was deleted: more may wait, so trim again at once.
bool Publisher::trim_some() {
  try {
    std::size_t removed = storage_->trim(storage::Clock::now() - retention_, trim_batch);
    if (removed && log_enabled(LogLevel::debug))
      log(LogLevel::debug, "trimmed " + std::to_string(removed) + " expired events");
    return removed == trim_batch;
  } catch (const storage::StorageError& e) {
    log(LogLevel::warn, std::string("trimming expired events failed, will retry: ") + e.what());
  }
  return false;
}

void Publisher::commit(std::vector<Request>& group) {
  // Which items are stored, decided once (a glob match per item).
  std::vector<bool> stored;
  std::vector<storage::NewEvent> to_store;
  for (const auto& request : group)
    for (const auto& item : request.items) {
      stored.push_back(storage_ && reliable_.matches(item.channel));
      if (stored.back()) to_store.push_back({item.channel, item.type, item.data, item.skip_users});
    }

  std::vector<std::uint64_t> stored_ids;
  if (!to_store.empty()) {
    try {
      auto started = std::chrono::steady_clock::now();
      stored_ids = storage_->append(to_store, storage::Clock::now());
      metrics::metrics().storage_commit_latency.observe(std::chrono::steady_clock::now() - started);
    } catch (const storage::StorageError& e) {
      log(LogLevel::error, std::string("publish failed: ") + e.what());
      for (auto& request : group) std::exchange(request.done, nullptr)({{}, e.what()});
      return;
    }
  }

  std::vector<hub::EventPtr> events;
  std::vector<PublishOutcome> outcomes(group.size());
  std::vector<std::size_t> request_ends;
  std::size_t next_stored = 0, next_item = 0;
  for (std::size_t r = 0; r < group.size(); ++r) {
    for (const auto& item : group[r].items) {
      std::uint64_t id = stored[next_item++] ? stored_ids[next_stored++] : 0;
      events.push_back(hub::make_event(item.channel, id, item.type, item.data, item.skip_users));
      if (id) outcomes[r].ids.emplace_back(sse::format_position({{item.channel, id}}));
      else outcomes[r].ids.emplace_back(std::nullopt);
    }
    request_ends.push_back(events.size());
  }
  metrics::metrics().events_published.fetch_add(events.size(), std::memory_order_relaxed);
  if (grip_) grip_->publish(events);
  if (!fanout_) {
    hubs_.publish(std::move(events), std::move(request_ends));
  } else {
    try {
      fanout_->publish(events);
    } catch (const redis::RedisError& e) {
      metrics::metrics().redis_errors.fetch_add(1, std::memory_order_relaxed);
      // Committed, so acknowledged. This instance's streams get them directly; the other
      // instances' catch stored events up from storage (and reset live-only channels)
      // when their subscription comes back. Should the PUBLISH have gone through after
      // all, stored events arrive twice and are skipped by id.
      log(LogLevel::warn, std::string("events reach only this instance's streams, Redis did not take them: ") +
                              e.what());
      hubs_.publish(std::move(events), std::move(request_ends));
    }
  }
  for (std::size_t r = 0; r < group.size(); ++r) std::exchange(group[r].done, nullptr)(std::move(outcomes[r]));
}

} // namespace es::publish
