#pragma once
// One blocking connection to Redis, for a thread of its own (the committer, a reader):
// commands go out pipelined in one write and their replies come back in order. It
// connects (AUTH, SELECT) on first use and again after a failure.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "redis/redis_url.hpp"
#include "redis/resp.hpp"

namespace es::redis {

// Redis could not be reached or the connection broke; the message says which and where.
class RedisError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Redis could not be reached at all: none of the commands was sent, so sending them
// elsewhere (to a cluster's new primary) cannot run anything twice.
class RedisUnreachable : public RedisError {
public:
  using RedisError::RedisError;
};

class RedisConnection {
public:
  explicit RedisConnection(Endpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  using Command = std::vector<std::string>;
  // The replies, in order; error replies are returned, not thrown. Throws RedisError.
  std::vector<Reply> pipeline(const std::vector<Command>& commands);
  Reply run(const Command& command);

  // Subscriber mode: after SUBSCRIBE, Redis pushes messages, and the answers to
  // (UN)SUBSCRIBE too. The next one, or nullopt when none came within `wait` or
  // `wake_fd` (when not -1) became readable first. Throws RedisError.
  std::optional<Reply> next_push(std::chrono::milliseconds wait, int wake_fd = -1);
  // Subscriber mode: sends `commands` in one write without waiting; their answers come
  // as pushes.
  void post(const std::vector<Command>& commands);
  // For poll(), with others; -1 while not connected.
  int fd() const { return fd_; }

private:
  void connect();
  void disconnect();
  bool peer_closed() const;
  void send(const std::string& bytes);
  // The next reply; nullopt when `wait` passed first and `wait_is_fine`, else RedisError.
  std::optional<Reply> receive(std::chrono::milliseconds wait, bool wait_is_fine, int wake_fd = -1);

  const Endpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  int fd_ = -1;
  ReplyReader reader_;
};

// Waits until Redis answers PING, logging while it does not; throws RedisError saying
// what went wrong when it still does not after `limit` (0: one try).
void wait_for_redis(const Endpoint& endpoint, std::chrono::seconds limit);

} // namespace es::redis
