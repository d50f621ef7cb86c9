#pragma once
// Live delivery between instances that share a Redis (--redis). The publisher hands each
// committed group to Redis instead of to its own hub: one PUBLISH per channel (SPUBLISH
// on a Redis Cluster, to the channel's shard), on that channel's Redis channel
// (eventstream:{c:CHANNEL}:live). Each instance subscribes only to
// the channels its own streams hold (channel_interest.hpp) and hands what arrives to its
// hub, encoded once; so an instance does work for the events its streams want, and Redis
// sends each event to the instances that serve its channel, not to all of them.
// Order and exactly-once come from the stream cursors: an event that overtakes another
// (two instances publishing to one channel) is a gap, caught up from the shared storage,
// and the late copy is skipped by id. A channel's first stream here waits for its
// subscription to be confirmed before it reads its position and opens, so that nothing
// committed after that read misses it. Kicks go to every instance, on
// eventstream:fanout, so a kick on one instance ends the user's streams on all of them.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hub/event.hpp"
#include "hub/hub.hpp"
#include "redis/channel_interest.hpp"
#include "redis/redis_nodes.hpp"

namespace es::redis {

class RedisSubscribers;

class RedisFanout {
public:
  // Starts the subscriber thread, which (re)connects with backoff by itself. `kept`:
  // channels received whether or not a stream here holds them (the Mercure hub watches
  // every update).
  RedisFanout(Target target, hub::Hubs& hubs, const std::vector<std::string>& kept = {});
  ~RedisFanout();
  RedisFanout(const RedisFanout&) = delete;
  RedisFanout& operator=(const RedisFanout&) = delete;

  // True once the subscription is active, false if it was not within `limit`.
  bool wait_until_subscribed(std::chrono::milliseconds limit);
  // Whether events of other instances arrive now (/readyz).
  bool subscribed();

  // From the publisher's committer thread. Throws RedisError: the events were stored
  // (or are live only) but reach no stream now; stored ones are caught up later.
  void publish(const std::vector<hub::EventPtr>& events);
  // Re-checks `user` on `channel` on every other instance (this one kicks by itself).
  void kick(const std::string& user, const std::string& channel, bool application_allows);

private:
  void listen();
  // Subscribes on a fresh connection to the kick channel and every channel held, and
  // waits until Redis has confirmed them all.
  void subscribe_all(RedisSubscribers& subscribers);
  void take_changes(RedisSubscribers& subscribers);
  // Handles one push; true when it confirmed a subscription.
  bool on_push(const Reply& push);
  void deliver(const std::string& message);

  RedisNodes nodes_; // publishing (the committer, kicks from I/O threads) and the map
  hub::Hubs& hubs_;
  ChannelInterest interest_;
  const std::string instance_; // kicks from this instance are not run twice
  std::atomic<std::int64_t> refused_publish_logged_{0};
  std::atomic<bool> stopping_{false};
  std::mutex subscribed_mutex_;
  std::condition_variable subscribed_changed_;
  bool subscribed_ = false;
  std::thread listener_;
};

// One event within a group message: netstrings of channel, id, head, body, then skipped
// users.
std::string encode_event(const hub::Event& event);
hub::EventPtr decode_event(std::string_view message); // null when malformed

} // namespace es::redis
