#pragma once
// One stream's mailbox. Its hub pushes shared events in; the stream's writer takes them
// out in batches. Both run on the stream's I/O thread, so there is no lock.
//
// It is bounded: when a publish finds `capacity` events already waiting, its events are
// not queued and their channels are remembered as overflowed, so the writer can catch
// the stream up from storage or tell the client (stream-reset) instead of losing events
// silently or growing without bound. The check is made once per publish request, so
// one request reaches a subscriber that keeps up whole: a mailbox holds at most
// `capacity` events (or `capacity_bytes` of them) plus one request's worth.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/event.hpp"

namespace es::mercure {
struct Subscription;
}

namespace es::hub {

class Subscriber {
public:
  // `wake` runs when the mailbox gets something after the writer emptied it.
  // `recheck` is a kick: it re-checks whether the stream's user may still read the
  // channel (given the application's fresh answer) and ends the stream if not,
  // returning true then.
  using Recheck = std::function<bool(const std::string& channel, bool application_allows)>;
  // `subscription`: a Mercure stream, routed by topic (topic_index.hpp); its only
  // channel is the update channel.
  Subscriber(std::vector<std::string> channels, std::string user, std::size_t capacity, std::size_t capacity_bytes,
             std::function<void()> wake, Recheck recheck,
             std::shared_ptr<const mercure::Subscription> subscription = nullptr);

  const std::string& user() const { return user_; }
  bool recheck(const std::string& channel, bool application_allows) const {
    return recheck_(channel, application_allows);
  }

  const std::vector<std::string>& channels() const { return channels_; }
  const std::shared_ptr<const mercure::Subscription>& subscription() const { return subscription_; }

  // True the first time it is asked with `stamp` (the topic index's count of updates
  // routed), so a stream that several selectors or topics match gets an update once.
  bool route_once(std::uint64_t stamp) { return std::exchange(routed_, stamp) != stamp; }

  // `publish_number` tells the requests apart. `wake`: the writer must be woken (the hub
  // wakes it once the whole publish is queued, so it writes it at once); `dropped`: the
  // mailbox was full.
  struct Offered {
    bool wake;
    bool dropped;
  };
  Offered offer(const EventPtr& event, std::uint64_t publish_number);

  // Events of `channel` may have been missed (delivery between instances broke): handled
  // as an overflow, caught up from storage or reset. Returns true when the writer must
  // be woken.
  bool missed(const std::string& channel);

  // The server is shutting down: the writer finishes what is queued and ends the stream.
  // Returns true when the writer must be woken.
  bool close();

  void wake() const { wake_(); }

  struct Batch {
    std::vector<EventPtr> events;
    std::vector<std::string> overflowed; // channels whose events were dropped after `events`
    bool closing = false;
  };
  // Moves everything waiting into `batch`. The two vectors trade places, so each keeps
  // the capacity it grew to and steady-state writing allocates nothing; an idle stream
  // holds no queue memory at all. Returns false when there was nothing to take; the
  // next offer then wakes the writer again.
  bool take(Batch& batch);

private:
  bool notify();

  const std::vector<std::string> channels_;
  const std::string user_; // empty: anonymous
  const std::size_t capacity_;
  const std::size_t capacity_bytes_;
  const std::function<void()> wake_;
  const Recheck recheck_;
  const std::shared_ptr<const mercure::Subscription> subscription_;
  std::uint64_t routed_ = 0;

  std::vector<EventPtr> queue_;
  std::size_t queued_bytes_ = 0;
  std::vector<std::string> overflowed_;
  std::uint64_t publish_number_ = 0;
  bool accepting_ = true;
  bool closing_ = false;
  bool wake_pending_ = false;
};

} // namespace es::hub
