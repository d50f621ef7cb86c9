#include "storage/memory_storage.hpp"

namespace es::storage {

std::vector<std::uint64_t> MemoryStorage::append(const std::vector<NewEvent>& events, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (!ages_.empty() && now < ages_.back().created) now = ages_.back().created;
  std::vector<std::uint64_t> ids;
  ids.reserve(events.size());
  for (const auto& event : events) {
    Channel& channel = channels_[std::string(event.channel)];
    channel.events.push_back({++channel.head, std::string(event.type), std::string(event.data),
                              {event.skip_users.begin(), event.skip_users.end()}});
    ages_.push_back({&channel, now});
    ids.push_back(channel.head);
  }
  while (ages_.size() > max_events_) evict_oldest();
  return ids;
}

void MemoryStorage::evict_oldest() {
  ages_.front().channel->events.pop_front();
  ages_.pop_front();
}

ChannelRange MemoryStorage::range(const std::string& channel) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(channel);
  if (it == channels_.end()) return {1, 0};
  const Channel& c = it->second;
  return {c.head - c.events.size() + 1, c.head};
}

std::vector<StoredEvent> MemoryStorage::read(const std::string& channel, std::uint64_t after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<StoredEvent> out;
  auto it = channels_.find(channel);
  if (it == channels_.end()) return out;
  const Channel& c = it->second;
  std::uint64_t first = c.head - c.events.size() + 1;
  std::size_t start = after >= first ? static_cast<std::size_t>(after - first + 1) : 0;
  for (std::size_t i = start; i < c.events.size() && out.size() < limit; ++i) out.push_back(c.events[i]);
  return out;
}

std::size_t MemoryStorage::trim(Clock::time_point cutoff, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  while (removed < limit && !ages_.empty() && ages_.front().created < cutoff) {
    evict_oldest();
    ++removed;
  }
  return removed;
}

} // namespace es::storage
