#pragma once
// Storage in memory: the same ids, replay and trimming as SQLite, gone on restart.
// Bounded by retention and by `max_events` over all channels (oldest evicted first).
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/storage.hpp"

namespace es::storage {

class MemoryStorage : public Storage {
public:
  explicit MemoryStorage(std::size_t max_events) : max_events_(max_events) {}

  std::vector<std::uint64_t> append(const std::vector<NewEvent>& events, Clock::time_point now) override;
  ChannelRange range(const std::string& channel) override;
  std::vector<StoredEvent> read(const std::string& channel, std::uint64_t after, std::size_t limit) override;
  std::size_t trim(Clock::time_point cutoff, std::size_t limit) override;

private:
  struct Channel {
    std::uint64_t head = 0;
    std::deque<StoredEvent> events; // ids head - size + 1 .. head
  };
  struct Age {
    Channel* channel;
    Clock::time_point created;
  };
  void evict_oldest();

  const std::size_t max_events_;
  std::mutex mutex_;
  std::unordered_map<std::string, Channel> channels_;
  std::deque<Age> ages_; // every retained event, oldest first
};

} // namespace es::storage
