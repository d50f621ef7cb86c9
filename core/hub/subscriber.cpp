#include "hub/subscriber.hpp"

#include <algorithm>

namespace es::hub {

Subscriber::Subscriber(std::vector<std::string> channels, std::size_t capacity, std::function<void()> wake)
    : channels_(std::move(channels)), capacity_(std::max<std::size_t>(capacity, 1)), wake_(std::move(wake)) {}

void Subscriber::offer(const EventPtr& event, std::uint64_t publish_number) {
  std::unique_lock lock(mutex_);
  if (closing_) return;
  if (publish_number != publish_number_) {
    publish_number_ = publish_number;
    // Once anything overflowed, later events wait for the reset too, so that no
    // channel's events arrive out of order around it.
    accepting_ = queue_.size() < capacity_ && overflowed_.empty();
  }
  if (accepting_) {
    queue_.push_back(event);
  } else if (std::find(overflowed_.begin(), overflowed_.end(), event->channel) == overflowed_.end()) {
    overflowed_.push_back(event->channel);
  }
  notify(lock);
}

void Subscriber::close() {
  std::unique_lock lock(mutex_);
  closing_ = true;
  notify(lock);
}

void Subscriber::notify(std::unique_lock<std::mutex>& lock) {
  if (wake_pending_) return;
  wake_pending_ = true;
  lock.unlock();
  wake_();
}

bool Subscriber::take(Batch& batch) {
  batch.events.clear();
  batch.overflowed.clear();
  std::lock_guard lock(mutex_);
  batch.events.swap(queue_);
  batch.overflowed.swap(overflowed_);
  batch.closing = closing_;
  bool any = !batch.events.empty() || !batch.overflowed.empty() || batch.closing;
  if (!any) wake_pending_ = false;
  return any;
}

} // namespace es::hub
