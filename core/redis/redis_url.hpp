#pragma once
// Where Redis is (--redis URL): redis://[[user]:password@]host[:port][/db], or a unix
// socket, unix://[[user]:password@]/path/to/redis.sock[?db=N] (redis-py's forms); or a
// Redis Cluster, redis-cluster://[[user]:password@]host:port[,host:port...], its nodes
// (some of them: the others are found from these).
#include <string>
#include <string_view>
#include <vector>

namespace es::redis {

struct Endpoint {
  std::string host = "127.0.0.1"; // empty when `socket_path` is set
  unsigned short port = 6379;
  std::string socket_path;
  std::string user;     // AUTH user (Redis 6 ACLs); empty: the default user
  std::string password; // empty: no AUTH
  int db = 0;
  std::string describe() const; // for messages, without the password
};

// Throws std::invalid_argument saying what is wrong.
Endpoint parse_redis_url(std::string_view url);

// One Redis, or the first nodes of a cluster.
struct Target {
  std::vector<Endpoint> seeds; // one unless `cluster`
  bool cluster = false;
  std::string describe() const; // without the password
};

// Any of the forms above. Throws std::invalid_argument saying what is wrong.
Target parse_redis_target(std::string_view url);

} // namespace es::redis
