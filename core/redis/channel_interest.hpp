#pragma once
// Which channels this instance's streams hold, for the Redis subscriptions that bring
// those channels' events from other instances: an instance subscribes only to what it
// serves, so adding instances adds capacity rather than work for every instance.
//
// The shards report when they gain a channel's first stream and lose its last; the
// subscriber thread takes what to SUBSCRIBE and UNSUBSCRIBE and reports what Redis has
// confirmed. A new stream whose channels are not confirmed yet waits for them before it
// reads its position (delivered()), so that every event committed after that read
// reaches it live. A channel no stream holds any more stays subscribed for `linger`, so
// a client that reconnects (the usual way an SSE stream goes on) costs no command and
// no wait.
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hub/channel_source.hpp"

namespace es::redis {

class ChannelInterest final : public hub::ChannelSource {
public:
  using Clock = std::chrono::steady_clock;

  explicit ChannelInterest(Clock::duration linger);
  ~ChannelInterest();
  ChannelInterest(const ChannelInterest&) = delete;
  ChannelInterest& operator=(const ChannelInterest&) = delete;

  // From the shards' threads: one more (true) or one fewer (false) shard holds `channel`.
  void held(const std::string& channel, bool held) override;
  bool delivered(const std::vector<std::string>& channels, std::function<void()> ready) override;
  // `channel` stays subscribed whoever holds it (the Mercure hub watches every update).
  void keep(const std::string& channel) { held(channel, true); }

  // Readable when a channel was newly held: the subscriber thread waits on it. Between
  // messages it looks at fresh() instead, which costs no system call.
  int wake_fd() const { return wake_fd_; }
  bool fresh() const { return fresh_waiting_.load(std::memory_order_relaxed); }

  struct Changes {
    std::vector<std::string> subscribe;   // held, not subscribed yet
    std::vector<std::string> unsubscribe; // held by no stream for the linger
  };
  // What the subscriber thread is to do now; it counts as sent once taken.
  Changes take(Clock::time_point now);
  // A fresh connection to Redis: every channel to subscribe on it (lingering ones too,
  // whose linger goes on). From now on new streams wait for their channels again.
  std::vector<std::string> subscribe_again();
  // Redis confirmed the subscription to `channel`: streams waiting for it go on.
  void confirmed(const std::string& channel);
  // The subscriber's connection broke. Until subscribe_again, streams do not wait: the
  // reconnection catches them up from storage, as it does every other stream.
  void disconnected();
  // Whether a stream went on without waiting since the last call (see disconnected()).
  bool unwaited();
  // Whether a SUBSCRIBE has gone unanswered for longer than `limit`: Redis is hung, and
  // streams would wait for it without end.
  bool overdue(Clock::time_point now, Clock::duration limit);

private:
  struct Waiter {
    std::size_t pending;
    std::function<void()> ready;
  };
  struct Entry {
    int shards = 0;
    bool queued = false;     // in fresh_
    bool subscribed = false; // SUBSCRIBE sent on the current connection
    bool confirmed = false;  // and answered
    Clock::time_point unheld_at;
    std::vector<std::shared_ptr<Waiter>> waiters;
  };
  void wake();
  // Moves out every waiter of `entry`, to be run (outside the lock): a stream that was
  // waiting ends on its own thread, which a dropped callback would not do.
  void release(Entry& entry, std::vector<std::function<void()>>& ready);

  const Clock::duration linger_;
  const int wake_fd_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> channels_;
  std::vector<std::string> fresh_; // newly held since the last take
  std::atomic<bool> fresh_waiting_{false};
  std::deque<std::pair<Clock::time_point, std::string>> unheld_; // in the order let go
  std::deque<std::pair<Clock::time_point, std::string>> sent_;   // SUBSCRIBEs, in order sent
  bool connected_ = false;
  bool unwaited_ = false;
};

} // namespace es::redis
