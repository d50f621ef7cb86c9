#include "redis/channel_interest.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace es::redis {
namespace {

int make_wake_fd() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot create an eventfd for the Redis subscriber thread");
  return fd;
}

} // namespace

ChannelInterest::ChannelInterest(Clock::duration linger) : linger_(linger), wake_fd_(make_wake_fd()) {}

ChannelInterest::~ChannelInterest() { ::close(wake_fd_); }

void ChannelInterest::held(const std::string& channel, bool held) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    auto& entry = channels_[channel];
    entry.shards += held ? 1 : -1;
    if (held && entry.shards == 1 && !entry.subscribed) {
      fresh_.push_back(channel);
      wake = !fresh_waiting_.exchange(true, std::memory_order_relaxed);
    } else if (!held && entry.shards == 0) {
      entry.unheld_at = Clock::now();
      unheld_.emplace_back(entry.unheld_at, channel);
    }
  }
  std::uint64_t one = 1;
  if (wake) [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

ChannelInterest::Changes ChannelInterest::take(Clock::time_point now) {
  std::uint64_t count;
  [[maybe_unused]] auto read = ::read(wake_fd_, &count, sizeof count);
  Changes changes;
  std::lock_guard lock(mutex_);
  fresh_waiting_.store(false, std::memory_order_relaxed);
  for (auto& channel : fresh_) {
    auto it = channels_.find(channel);
    if (it == channels_.end() || it->second.shards == 0 || it->second.subscribed) continue;
    it->second.subscribed = true;
    changes.subscribe.push_back(std::move(channel));
  }
  fresh_.clear();
  while (!unheld_.empty() && unheld_.front().first + linger_ <= now) {
    auto it = channels_.find(unheld_.front().second);
    // Held again since, or let go again later (a later entry decides then).
    if (it != channels_.end() && it->second.shards == 0 && it->second.unheld_at == unheld_.front().first) {
      if (it->second.subscribed) changes.unsubscribe.push_back(it->first);
      channels_.erase(it);
    }
    unheld_.pop_front();
  }
  return changes;
}

std::vector<std::string> ChannelInterest::subscribe_again() {
  std::vector<std::string> channels;
  std::lock_guard lock(mutex_);
  fresh_.clear();
  fresh_waiting_.store(false, std::memory_order_relaxed);
  for (auto& [channel, entry] : channels_) {
    entry.subscribed = true;
    channels.push_back(channel);
  }
  return channels;
}

bool ChannelInterest::holds(const std::string& channel) const {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(channel);
  return it != channels_.end() && it->second.shards > 0;
}

} // namespace es::redis
