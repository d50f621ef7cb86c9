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

void run_all(std::vector<std::function<void()>>& ready) {
  for (auto& go : ready) go();
}

} // namespace

ChannelInterest::ChannelInterest(Clock::duration linger) : linger_(linger), wake_fd_(make_wake_fd()) {}

ChannelInterest::~ChannelInterest() { ::close(wake_fd_); }

void ChannelInterest::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
}

void ChannelInterest::held(const std::string& channel, bool held) {
  bool wake_now = false;
  {
    std::lock_guard lock(mutex_);
    auto it = channels_.try_emplace(channel).first;
    auto& entry = it->second;
    entry.shards += held ? 1 : -1;
    if (held && entry.shards == 1 && !entry.subscribed && !entry.queued) {
      entry.queued = true;
      fresh_.push_back(channel);
      wake_now = !fresh_waiting_.exchange(true, std::memory_order_relaxed);
    } else if (!held && entry.shards == 0) {
      if (!entry.subscribed) { // nothing to take back from Redis
        channels_.erase(it);
      } else {
        entry.unheld_at = Clock::now();
        unheld_.emplace_back(entry.unheld_at, channel);
      }
    }
  }
  if (wake_now) wake();
}

bool ChannelInterest::delivered(const std::vector<std::string>& channels, std::function<void()> ready) {
  std::lock_guard lock(mutex_);
  if (!connected_) return true;
  std::vector<Entry*> pending;
  for (const auto& channel : channels) {
    auto it = channels_.find(channel);
    if (it != channels_.end() && !it->second.confirmed) pending.push_back(&it->second);
  }
  if (pending.empty()) return true;
  auto waiter = std::make_shared<Waiter>(Waiter{pending.size(), std::move(ready)});
  for (auto* entry : pending) entry->waiters.push_back(waiter);
  return false;
}

ChannelInterest::Changes ChannelInterest::take(Clock::time_point now) {
  std::uint64_t count;
  [[maybe_unused]] auto read = ::read(wake_fd_, &count, sizeof count);
  Changes changes;
  std::lock_guard lock(mutex_);
  fresh_waiting_.store(false, std::memory_order_relaxed);
  for (auto& channel : fresh_) {
    auto it = channels_.find(channel);
    if (it == channels_.end() || !it->second.queued) continue;
    it->second.queued = false;
    if (it->second.shards == 0 || it->second.subscribed) continue;
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
    entry.queued = false;
    entry.subscribed = true;
    channels.push_back(channel);
  }
  return channels;
}

void ChannelInterest::confirmed(const std::string& channel) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(channel);
    if (it == channels_.end() || !it->second.subscribed) return;
    it->second.confirmed = true;
    for (auto& waiter : it->second.waiters)
      if (--waiter->pending == 0) ready.push_back(std::move(waiter->ready));
    it->second.waiters.clear();
  }
  run_all(ready);
}

void ChannelInterest::connected(bool up) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mutex_);
    connected_ = up;
    if (up) return;
    for (auto& [channel, entry] : channels_) {
      entry.confirmed = false;
      for (auto& waiter : entry.waiters)
        if (waiter->ready) ready.push_back(std::exchange(waiter->ready, nullptr));
      entry.waiters.clear();
    }
  }
  run_all(ready);
}

} // namespace es::redis
