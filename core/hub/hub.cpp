#include "hub/hub.hpp"

#include <algorithm>

namespace es::hub {

void Hub::subscribe(const std::shared_ptr<Subscriber>& subscriber) {
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      for (const auto& channel : subscriber->channels()) channels_[channel].push_back(subscriber);
      ++subscribers_;
      return;
    }
  }
  subscriber->close();
}

void Hub::unsubscribe(const std::shared_ptr<Subscriber>& subscriber) {
  std::lock_guard lock(mutex_);
  bool found = false;
  for (const auto& channel : subscriber->channels()) {
    auto it = channels_.find(channel);
    if (it == channels_.end()) continue;
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), subscriber);
    if (pos == list.end()) continue;
    found = true;
    *pos = std::move(list.back());
    list.pop_back();
    if (list.empty()) channels_.erase(it);
  }
  if (found) --subscribers_;
}

void Hub::publish(std::span<const EventPtr> events) {
  std::lock_guard lock(mutex_);
  ++publishes_;
  for (const auto& event : events) {
    auto it = channels_.find(event->channel);
    if (it == channels_.end()) continue;
    for (const auto& subscriber : it->second) subscriber->offer(event, publishes_);
  }
}

void Hub::close_all() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (auto& [channel, list] : channels_)
    for (const auto& subscriber : list) subscriber->close();
}

std::size_t Hub::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscribers_;
}

} // namespace es::hub
