#pragma once
// Which channels this instance's streams hold, for the Redis subscriptions that bring
// those channels' events from other instances: an instance subscribes only to what it
// serves, so adding instances adds capacity rather than work for every instance.
//
// The shards report when they gain a channel's first stream and lose its last
// (Hub::on_holding); the subscriber thread takes what to SUBSCRIBE and UNSUBSCRIBE. A
// channel no stream holds any more stays subscribed for `linger`, so a client that
// reconnects (the usual way an SSE stream goes on) does not turn into two commands
// and a storage re-read.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace es::redis {

class ChannelInterest {
public:
  using Clock = std::chrono::steady_clock;

  explicit ChannelInterest(Clock::duration linger);
  ~ChannelInterest();
  ChannelInterest(const ChannelInterest&) = delete;
  ChannelInterest& operator=(const ChannelInterest&) = delete;

  // From the shards' threads: one more (true) or one fewer (false) shard holds `channel`.
  void held(const std::string& channel, bool held);

  // Readable when a channel was newly held: the subscriber thread waits on it. Between
  // messages it looks at fresh() instead, which costs no system call.
  int wake_fd() const { return wake_fd_; }
  bool fresh() const { return fresh_waiting_.load(std::memory_order_relaxed); }

  struct Changes {
    std::vector<std::string> subscribe;   // held, not subscribed yet
    std::vector<std::string> unsubscribe; // held by no stream for the linger
  };
  // What the subscriber thread is to do now; it counts as done once taken.
  Changes take(Clock::time_point now);
  // A fresh connection to Redis: every channel to subscribe on it (lingering ones too,
  // whose linger goes on).
  std::vector<std::string> subscribe_again();
  // Whether a stream here holds `channel` now.
  bool holds(const std::string& channel) const;

private:
  struct Entry {
    int shards = 0;
    bool subscribed = false;
    Clock::time_point unheld_at;
  };
  const Clock::duration linger_;
  const int wake_fd_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> channels_;
  std::vector<std::string> fresh_; // newly held since the last take
  std::atomic<bool> fresh_waiting_{false};
  std::deque<std::pair<Clock::time_point, std::string>> unheld_; // in the order let go
};

} // namespace es::redis
