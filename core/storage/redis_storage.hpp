#pragma once
// Storage that several instances share: Redis (--storage redis, --redis URL). Each
// channel's events are a Redis Stream whose entry ids are the channel's own counter
// (`0-N`), so reading after a client's position is one XRANGE; the counter is a key of
// its own (it outlives trimming). An append is one Lua script: atomic, and numbered in
// the order Redis runs the scripts of every instance.
//
// Keys, under the prefix `eventstream:`: `head:<channel>` (INCR), `events:<channel>`
// (the stream; fields t = type, d = data, at = created ms, s = a skipped user, repeated),
// `channels` (the set of channels with retained events, for trimming).
#include <memory>
#include <mutex>
#include <vector>

#include "redis/redis_connection.hpp"
#include "storage/storage.hpp"

namespace es::storage {

class RedisStorage : public Storage {
public:
  // Connects at first use; throws StorageError when Redis cannot be reached then.
  explicit RedisStorage(redis::Endpoint endpoint);

  std::vector<std::uint64_t> append(const std::vector<NewEvent>& events, Clock::time_point now) override;
  ChannelRange range(const std::string& channel) override;
  std::vector<StoredEvent> read(const std::string& channel, std::uint64_t after, std::size_t limit) override;
  std::size_t trim(Clock::time_point cutoff, std::size_t limit) override;

  struct Script; // a Lua script and its SHA1, for EVALSHA (public: the .cpp's scripts are constants of it)

private:
  class Lease;
  // Runs `commands` on a pooled connection; Redis errors become StorageError.
  std::vector<redis::Reply> run(const std::vector<redis::RedisConnection::Command>& commands);
  // Runs a script with `args` (no keys: the scripts name their own), loading it when Redis lacks it.
  redis::Reply eval(const Script& script, redis::RedisConnection::Command args);

  const redis::Endpoint endpoint_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<redis::RedisConnection>> idle_; // one per thread at a time
};

} // namespace es::storage
