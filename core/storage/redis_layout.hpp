#pragma once
// Keys of eventstream 0.1 in a Redis it stored events in: `eventstream:head:NAME`,
// `eventstream:events:NAME` and the set `eventstream:channels`, without the hash tags a
// Redis Cluster needs (redis/channel_keys.hpp). `migrate --redis` renames them; `serve
// --storage redis` refuses to start on them, since it would count every channel's ids
// from 1 again. Once a Redis is known to hold none, `eventstream:layout` says so, and
// serving does not look again.
#include <cstddef>

#include "redis/redis_nodes.hpp"

namespace es::storage {

// True when Redis holds no key of the old layout (then, with `mark`, says so in Redis).
// Throws redis::RedisError.
bool redis_layout_current(redis::RedisNodes& nodes, bool mark);

// Renames the old keys of every channel; returns how many channels it moved. Running it
// again (after an interruption, say) moves what is left. Throws StorageError, redis::RedisError.
std::size_t migrate_redis_layout(redis::RedisNodes& nodes);

} // namespace es::storage
