#pragma once
// A Redis Cluster of Debian's redis-server for a test: `primaries` nodes, each with
// `replicas` replicas, on free loopback ports, made one cluster by `redis-cli --cluster
// create`. A short node timeout lets a replica take over a killed primary within a few
// seconds. Every node is stopped by its PID.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/redis_process.hpp"

namespace es::test {

class RedisCluster {
public:
  RedisCluster(int primaries, int replicas);

  // redis-cluster://127.0.0.1:P,... naming the first primaries (the seeds).
  std::string url() const;
  int port_of(std::size_t node) const { return nodes_[node]->port(); }
  // The port of the primary that holds `key`'s slot now.
  int primary_port_of(const std::string& key) const;
  // Kills that primary (SIGKILL) and waits until one of its replicas serves the slot.
  void kill_primary_of(const std::string& key);
  // Moves `key`'s slot, with its keys, to another primary as `redis-cli --cluster
  // reshard` does (IMPORTING, MIGRATING, MIGRATE, SETSLOT NODE); `midway` runs once the
  // keys have moved and before the slot has (the source answers ASK then). Returns the
  // port of its new primary.
  int move_slot_of(const std::string& key, const std::function<void()>& midway);
  // Runs a redis-cli command against node `port`; its output.
  std::string cli(int port, const std::string& arguments) const;

private:
  void wait_until_ok(int port) const;

  std::vector<std::unique_ptr<RedisProcess>> nodes_;
  int primaries_;
};

} // namespace es::test
