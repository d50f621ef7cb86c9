#pragma once
// One stream's mailbox. The hub pushes shared events in; the stream's writer takes them
// out in batches. It is bounded: once `capacity` events wait, later events are not
// queued and their channels are remembered as overflowed, so the writer can tell the
// client (stream-reset) instead of losing events silently or growing without bound.
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "hub/event.hpp"

namespace es::hub {

class Subscriber {
public:
  // `wake` runs (on the publisher's thread, outside any lock) when the mailbox gets
  // something to write after the writer emptied it; it must only schedule the writer.
  Subscriber(std::vector<std::string> channels, std::size_t capacity, std::function<void()> wake);

  const std::vector<std::string>& channels() const { return channels_; }

  void offer(const EventPtr& event);

  // The server is shutting down: the writer finishes what is queued and ends the stream.
  void close();

  struct Batch {
    std::vector<EventPtr> events;
    std::vector<std::string> overflowed; // channels whose events were dropped after `events`
    bool closing = false;
  };
  // Moves everything waiting into `batch` (whose buffers are reused, so steady-state
  // writing allocates nothing). Returns false when there was nothing to take; the next
  // offer then wakes the writer again.
  bool take(Batch& batch);

private:
  void notify(std::unique_lock<std::mutex>& lock);

  const std::vector<std::string> channels_;
  const std::size_t capacity_;
  const std::function<void()> wake_;

  std::mutex mutex_;
  std::vector<EventPtr> queue_;
  std::vector<std::string> overflowed_;
  bool closing_ = false;
  bool wake_pending_ = false;
};

} // namespace es::hub
