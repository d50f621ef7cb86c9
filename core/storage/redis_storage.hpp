#pragma once
// Storage that several instances share: Redis (--storage redis, --redis URL), one server
// or a Redis Cluster. Each channel's events are a Redis Stream whose entry ids are the
// channel's own counter (`0-N`), so reading after a client's position is one XRANGE; the
// counter is a key of its own (it outlives trimming). Both carry the channel's hash tag
// (redis/channel_keys.hpp), so a channel lives on one shard. An append is one Lua script
// per shard's share (on one server, per call): atomic there, and numbered in the order
// Redis runs the scripts of every instance. Trimming visits the events keys with SCAN on
// each primary, resuming where its last call stopped.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "redis/redis_nodes.hpp"
#include "storage/storage.hpp"

namespace es::storage {

class RedisStorage : public Storage {
public:
  // Connects at first use; throws StorageError when Redis cannot be reached then.
  // `replicas`: how many replicas must confirm each append (--redis-replicas).
  explicit RedisStorage(redis::Target target, int replicas = 0);

  std::vector<std::uint64_t> append(const std::vector<NewEvent>& events, Clock::time_point now) override;
  ChannelRange range(const std::string& channel) override;
  std::vector<StoredEvent> read(const std::string& channel, std::uint64_t after, std::size_t limit) override;
  std::size_t trim(Clock::time_point cutoff, std::size_t limit) override;

  struct Script; // a Lua script and its SHA1, for EVALSHA (public: the .cpp's scripts are constants of it)

private:
  // Redis errors become StorageError.
  std::vector<redis::Reply> run(const std::vector<redis::RedisNodes::Routed>& commands, int replicas = 0);
  // `script` on each (key, KEYS, ARGV) call; loads it where Redis lacks it.
  struct Call {
    std::vector<std::string> keys; // the first routes it
    std::vector<std::string> args;
  };
  std::vector<redis::Reply> eval(const Script& script, const std::vector<Call>& calls, int replicas = 0);

  // Removes `key`'s events created before `before` (ms), at most `limit`.
  std::size_t trim_channel(const std::string& key, std::uint64_t before, std::size_t limit);

  static constexpr int trim_pages = 4; // SCAN pages (of ~1,000 keys) per trim call
  redis::RedisNodes nodes_;
  const int replicas_;
  std::mutex trim_mutex_;
  std::map<std::string, std::string> trim_cursors_; // SCAN's, by primary
  std::size_t trim_node_ = 0; // the primary being scanned, of primaries()
};

} // namespace es::storage
