#pragma once
// The listener's connections in subscriber mode. On one Redis: one connection, SUBSCRIBE.
// On a Redis Cluster: one per primary, each SSUBSCRIBEd (sharded pub/sub, Redis 7) to
// the live channels of its own slots, so a shard sends an instance only its channels'
// events, and one of them also SUBSCRIBEd to the kicks (plain pub/sub reaches every
// node of a cluster). The map is read when they open; a slot that moves afterwards (its
// primary failed over: the connection breaks; resharded: Redis unsubscribes it) is a
// RedisError, after which the listener opens a fresh set on a fresh map and catches up.
// A host that vanished closes nothing, so each connection is PINGed every few seconds,
// and one that does not answer in time is taken as broken too.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "redis/redis_connection.hpp"
#include "redis/redis_nodes.hpp"

namespace es::redis {

class RedisSubscribers {
public:
  // Connects to every primary. Throws RedisError.
  explicit RedisSubscribers(RedisNodes& nodes);

  // SUBSCRIBE (SSUBSCRIBE) the Redis channels `names`, each on its slot's primary.
  void subscribe(const std::vector<std::string>& names);
  void unsubscribe(const std::vector<std::string>& names);
  // Plain pub/sub, on the first connection.
  void subscribe_plain(const std::string& name);

  // PINGs each connection that owes no answer, at most every `every`; throws RedisError
  // when one has owed its answer for longer than that.
  void keep_alive(std::chrono::steady_clock::time_point now, std::chrono::seconds every);

  // The next push of any connection, as a plain one (smessage reads as message,
  // ssubscribe as subscribe); nullopt when none came within `wait` or `wake_fd` became
  // readable. Throws RedisError, also when the cluster moved a subscribed slot.
  std::optional<Reply> next(std::chrono::milliseconds wait, int wake_fd);

private:
  RedisConnection& owner_of(const std::string& name);
  void post_grouped(const char* verb, const std::vector<std::string>& names);

  RedisNodes& nodes_;
  const bool sharded_;
  std::vector<Endpoint> primaries_;
  std::vector<std::unique_ptr<RedisConnection>> connections_; // of primaries_
  std::size_t next_drained_ = 0;                              // round robin, so no connection starves
  std::unordered_set<std::string> leaving_;                   // SUNSUBSCRIBEd by us, not yet confirmed
  std::vector<std::optional<std::chrono::steady_clock::time_point>> pinged_; // of connections_: unanswered since
  std::chrono::steady_clock::time_point last_ping_{};
};

} // namespace es::redis
