#pragma once
// The in-process hub: who listens to which channel, and fan-out. Publishing takes one
// lock for a whole batch, so every subscriber sees a channel's events in the same order;
// the work per subscriber is a pointer push into its bounded mailbox.
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/event.hpp"
#include "hub/subscriber.hpp"

namespace es::hub {

class Hub {
public:
  void subscribe(const std::shared_ptr<Subscriber>& subscriber);
  void unsubscribe(const std::shared_ptr<Subscriber>& subscriber);

  void publish(std::span<const EventPtr> events);

  // Shutdown: every stream, present and future, finishes and ends.
  void close_all();

  std::size_t subscriber_count() const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Subscriber>>> channels_;
  std::size_t subscribers_ = 0;
  std::uint64_t publishes_ = 0;
  bool closed_ = false;
};

} // namespace es::hub
