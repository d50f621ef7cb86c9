#pragma once
// The Redis that instances share, as one thing to run commands on: one server, or a
// Redis Cluster, whose map of slots to primaries this reads (CLUSTER SLOTS) and keeps,
// following MOVED (the map changed: a failover, a resharding) and ASK (a slot being
// migrated). Connections are pooled per node, each used by one thread at a time, so
// any thread may call; a node's share of a call goes out pipelined in one write.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_connection.hpp"
#include "redis/redis_url.hpp"

namespace es::redis {

class RedisNodes {
public:
  explicit RedisNodes(Target target);
  ~RedisNodes();
  RedisNodes(const RedisNodes&) = delete;
  RedisNodes& operator=(const RedisNodes&) = delete;

  bool cluster() const { return target_.cluster; }
  std::string describe() const { return target_.describe(); }

  using Command = RedisConnection::Command;
  struct Routed {
    std::string key; // the primary of this key's slot runs it; empty: any node
    Command command;
  };
  // The replies in order; error replies are returned, redirections followed. With
  // `replicas` > 0, each node's share is followed by WAIT: fewer replicas confirming it
  // within a second is a RedisError (it ran on the primary, but a failover could lose
  // it). Throws RedisError.
  std::vector<Reply> run(const std::vector<Routed>& commands, int replicas = 0);
  // On the node `node` itself (SCAN, which each primary answers for its own keys).
  std::vector<Reply> run_on(const Endpoint& node, const std::vector<Command>& commands);
  // The primaries that hold slots (one server: itself); reads the map when it has none.
  // Throws RedisError.
  std::vector<Endpoint> primaries();
  // The primary of `key`'s slot. Throws RedisError.
  Endpoint owner(std::string_view key);
  // Reads the map again at next use: connections to a node broke, a slot moved.
  void forget_map();
  // Waits until every primary answers PING and (a cluster) every slot has a primary,
  // logging meanwhile; throws RedisError when that is not so within `limit`.
  void wait_ready(std::chrono::seconds limit);

private:
  class Lease;
  // Under mutex_.
  void read_map();
  int owner_index(std::string_view key);
  int node_index(const Endpoint& node);
  Endpoint node_at(std::string_view host_port, const Endpoint& answering);

  const Target target_;
  std::mutex mutex_;
  bool mapped_ = false;
  std::vector<Endpoint> nodes_;    // the primaries
  std::vector<int> slot_owner_;    // index into nodes_, -1: none
  std::map<std::string, std::vector<std::unique_ptr<RedisConnection>>> idle_; // by Endpoint::describe()
};

} // namespace es::redis
