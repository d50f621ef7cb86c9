#pragma once
// The in-process hub: who listens to which channel, and fan-out.
//
// Subscribers are sharded by I/O thread: each thread has its own Hub holding only its
// own streams, touched by nobody else, so subscribing, fan-out and writing take no
// locks. A publish is handed to each thread once (one post per thread, not per
// subscriber); the thread queues the shared events into its subscribers' mailboxes,
// then wakes each affected stream once, so a stream writes everything of one publish
// in one write.
//
// Publishes reach each shard through a queue of its own, in the order Hubs::publish was
// called, not as one post each: Asio keeps what a thread posts to its own io_context
// aside until its current handler returns, so a publish made on a shard's thread would
// reach that shard after one another thread posted meanwhile, and every stream there
// would see a gap (our cursors then re-read storage; Mercure's, which have gaps by
// design, would lose the update).
//
// A shard without subscribers is not handed publishes at all: with few streams (one
// publisher, a handful of dashboards) most shards would otherwise wake for nothing, a
// thread switch per publish.
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "hub/channel_source.hpp"
#include "hub/event.hpp"
#include "hub/subscriber.hpp"
#include "hub/topic_index.hpp"

namespace es::hub {

// What a shard counts for /metrics. Only its own thread writes (metrics::bump); the
// scraper reads.
struct ShardCounters {
  std::atomic<std::uint64_t> delivered{0}; // events written to streams, live or replayed
  std::atomic<std::uint64_t> replayed{0};  // of which read from storage
  std::atomic<std::uint64_t> dropped{0};   // not queued: the stream's mailbox was full
  std::atomic<std::uint64_t> resets{0};    // stream-resets sent
  std::atomic<std::uint64_t> channels{0};  // channels with a subscriber here
};

// One I/O thread's share. Every call is made on that thread.
class Hub {
public:

  void subscribe(const std::shared_ptr<Subscriber>& subscriber);
  void unsubscribe(const std::shared_ptr<Subscriber>& subscriber);

  // `request_ends` splits `events` into publish requests (a mailbox's bound is checked
  // per request).
  void publish(std::span<const EventPtr> events, std::span<const std::size_t> request_ends);

  // Shutdown: every stream, present and future, finishes and ends.
  void close_all();

  // Re-checks `user`'s streams on `channel`; returns how many ended.
  std::size_t kick(const std::string& user, const std::string& channel, bool application_allows);

  ShardCounters counters;

  // Every stream may have missed events of every channel (see Subscriber::missed).
  void missed_all();
  // Told which channels this shard holds; set before any stream subscribes (null: none).
  void set_source(ChannelSource* source) { source_ = source; }
  // Whether a stream of `channels` that subscribed here gets their events now (see
  // ChannelSource::delivered); always, without a source.
  bool delivered(const std::vector<std::string>& channels, std::function<void()> ready) {
    return !source_ || source_->delivered(channels, std::move(ready));
  }

  // From any thread: this shard's subscribers (Hubs::publish skips a shard with none).
  std::size_t subscribers() const { return subscribers_.load(); }

private:
  std::atomic<std::size_t> subscribers_{0}; // sequentially consistent: see Hubs::publish
  std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> channels_;
  TopicIndex topics_; // Mercure streams, also listed under the update channel in channels_
  std::vector<std::shared_ptr<Subscriber>> woken_;
  ChannelSource* source_ = nullptr;
  std::uint64_t publishes_ = 0;
  bool closed_ = false;
};

// All the shards, as the publisher and the server see them. Thread-safe.
class Hubs {
public:
  explicit Hubs(std::vector<boost::asio::any_io_executor> executors);

  std::size_t size() const { return shards_.size(); }
  // The shard of the thread behind `index`'s executor; use it only on that thread.
  Hub& local(std::size_t index) { return *shards_[index]->hub; }
  const boost::asio::any_io_executor& executor(std::size_t index) const { return shards_[index]->executor; }

  // Hands the events to every shard, in call order.
  void publish(std::vector<EventPtr> events, std::vector<std::size_t> request_ends);
  // Runs `observer` on every batch before the shards get it, on the publishing thread
  // (the committer's or Redis's): the Mercure hub remembers ids and presence there. Set
  // once, before anything is published.
  void observe(std::function<void(const std::vector<EventPtr>&)> observer) { observer_ = std::move(observer); }
  void close_all();
  void missed_all();
  // Hub::set_source for every shard.
  void set_source(ChannelSource* source);
  // Re-checks `user`'s streams on `channel` on every shard; `done` gets the number of
  // streams ended, on some I/O thread.
  void kick(std::string user, std::string channel, bool application_allows, std::function<void(std::size_t)> done);
  std::size_t subscriber_count() const;
  // Sums one counter over the shards.
  std::uint64_t total(std::atomic<std::uint64_t> ShardCounters::*counter) const;

private:
  struct Published {
    std::vector<EventPtr> events;
    std::vector<std::size_t> request_ends;
  };
  struct Shard {
    boost::asio::any_io_executor executor;
    std::unique_ptr<Hub> hub;
    std::mutex mutex; // guards the two below
    std::deque<std::shared_ptr<const Published>> pending;
    bool draining = false; // a drain is posted and has not emptied `pending` yet
  };
  static void drain(Shard& shard);
  std::vector<std::unique_ptr<Shard>> shards_;
  std::function<void(const std::vector<EventPtr>&)> observer_;
};

} // namespace es::hub
