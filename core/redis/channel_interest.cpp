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

void ChannelInterest::release(Entry& entry, std::vector<std::function<void()>>& ready) {
  for (auto& waiter : entry.waiters)
    if (waiter->ready) ready.push_back(std::exchange(waiter->ready, nullptr));
  entry.waiters.clear();
}

void ChannelInterest::held(const std::string& channel, bool held) {
  bool wake_now = false;
  std::vector<std::function<void()>> ready;
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
        release(entry, ready);
        channels_.erase(it);
      } else {
        entry.unheld_at = Clock::now();
        unheld_.emplace_back(entry.unheld_at, channel);
      }
    }
  }
  if (wake_now) wake();
  run_all(ready);
}

bool ChannelInterest::delivered(const std::vector<std::string>& channels, std::function<void()> ready) {
  std::lock_guard lock(mutex_);
  if (!connected_) {
    unwaited_ = true;
    return true;
  }
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
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mutex_);
    fresh_waiting_.store(false, std::memory_order_relaxed);
    for (auto& channel : fresh_) {
      auto it = channels_.find(channel);
      if (it == channels_.end() || !it->second.queued) continue;
      it->second.queued = false;
      // Disconnected: the reconnection subscribes every channel held then.
      if (it->second.shards == 0 || it->second.subscribed || !connected_) continue;
      it->second.subscribed = true;
      sent_.emplace_back(now, channel);
      changes.subscribe.push_back(std::move(channel));
    }
    fresh_.clear();
    while (!unheld_.empty() && unheld_.front().first + linger_ <= now) {
      auto [at, channel] = std::move(unheld_.front());
      unheld_.pop_front();
      auto it = channels_.find(channel);
      // Held again since, or let go again later (a later entry decides then).
      if (it == channels_.end() || it->second.shards != 0 || it->second.unheld_at != at) continue;
      // Its SUBSCRIBE is unanswered yet: that answer would be taken for the next one's.
      if (it->second.subscribed && !it->second.confirmed) {
        it->second.unheld_at = now;
        unheld_.emplace_back(now, channel);
        continue;
      }
      if (it->second.subscribed) changes.unsubscribe.push_back(channel);
      release(it->second, ready);
      channels_.erase(it);
    }
  }
  run_all(ready);
  return changes;
}

std::vector<std::string> ChannelInterest::subscribe_again() {
  std::vector<std::string> channels;
  std::lock_guard lock(mutex_);
  fresh_.clear();
  fresh_waiting_.store(false, std::memory_order_relaxed);
  sent_.clear();
  auto now = Clock::now();
  for (auto& [channel, entry] : channels_) {
    entry.queued = false;
    entry.subscribed = true;
    channels.push_back(channel);
    sent_.emplace_back(now, channel);
  }
  connected_ = true;
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
      if (--waiter->pending == 0 && waiter->ready) ready.push_back(std::exchange(waiter->ready, nullptr));
    it->second.waiters.clear();
  }
  run_all(ready);
}

void ChannelInterest::disconnected() {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(mutex_);
    connected_ = false;
    sent_.clear();
    // Nothing is subscribed any more: a channel no stream holds is forgotten now, the
    // others are subscribed again by the reconnection.
    for (auto it = channels_.begin(); it != channels_.end();) {
      it->second.confirmed = false;
      it->second.subscribed = false;
      release(it->second, ready);
      if (it->second.shards == 0) it = channels_.erase(it);
      else ++it;
    }
    // Released streams go on without their subscriptions: the reconnection catches them up.
    if (!ready.empty()) unwaited_ = true;
  }
  run_all(ready);
}

bool ChannelInterest::unwaited() {
  std::lock_guard lock(mutex_);
  return std::exchange(unwaited_, false);
}

bool ChannelInterest::overdue(Clock::time_point now, Clock::duration limit) {
  std::lock_guard lock(mutex_);
  // Answers come in the order sent: the oldest unanswered is at the front.
  while (!sent_.empty()) {
    auto it = channels_.find(sent_.front().second);
    if (it != channels_.end() && it->second.subscribed && !it->second.confirmed) break;
    sent_.pop_front();
  }
  return !sent_.empty() && sent_.front().first + limit < now;
}

} // namespace es::redis
