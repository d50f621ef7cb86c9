#pragma once
// Where a hub's events come from when other instances publish them too (Redis:
// redis/channel_interest.hpp). It is told which channels the shards hold, and asked
// whether a new stream's channels are delivered yet: a stream reads its position from
// storage, and says it is open, only once every later event reaches it live.
#include <functional>
#include <string>
#include <vector>

namespace es::hub {

class ChannelSource {
public:
  // From a shard's thread: the shard gained its first stream of `channel` (true) or
  // lost its last (false).
  virtual void held(const std::string& channel, bool held) = 0;
  // True when the events of `channels` (held already) reach this instance now.
  // Otherwise false, and `ready` runs once they do, on another thread.
  virtual bool delivered(const std::vector<std::string>& channels, std::function<void()> ready) = 0;

protected:
  ~ChannelSource() = default;
};

} // namespace es::hub
