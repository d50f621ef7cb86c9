#include "hub/subscriber.hpp"

#include <algorithm>

namespace es::hub {

Subscriber::Subscriber(std::vector<std::string> channels, std::string user, std::size_t capacity,
                       std::size_t capacity_bytes, std::function<void()> wake, Recheck recheck,
                       std::shared_ptr<const mercure::Subscription> subscription)
    : channels_(std::move(channels)), user_(std::move(user)), capacity_(std::max<std::size_t>(capacity, 1)),
      capacity_bytes_(std::max<std::size_t>(capacity_bytes, 1)), wake_(std::move(wake)), recheck_(std::move(recheck)),
      subscription_(std::move(subscription)) {}

Subscriber::Offered Subscriber::offer(const EventPtr& event, std::uint64_t publish_number) {
  if (closing_) return {false, false};
  if (publish_number != publish_number_) {
    publish_number_ = publish_number;
    // Once anything overflowed, later events wait for the reset too, so that no
    // channel's events arrive out of order around it.
    accepting_ = queue_.size() < capacity_ && queued_bytes_ < capacity_bytes_ && overflowed_.empty();
  }
  if (accepting_) {
    queue_.push_back(event);
    queued_bytes_ += event->head.size() + event->id_line.size() + event->body.size();
  } else if (std::find(overflowed_.begin(), overflowed_.end(), event->channel) == overflowed_.end()) {
    overflowed_.push_back(event->channel);
  }
  return {notify(), !accepting_};
}

bool Subscriber::missed(const std::string& channel) {
  if (closing_) return false;
  if (std::find(overflowed_.begin(), overflowed_.end(), channel) == overflowed_.end()) overflowed_.push_back(channel);
  return notify();
}

bool Subscriber::close() {
  closing_ = true;
  return notify();
}

bool Subscriber::notify() {
  if (wake_pending_) return false;
  wake_pending_ = true;
  return true;
}

bool Subscriber::take(Batch& batch) {
  batch.events.clear();
  batch.overflowed.clear();
  batch.events.swap(queue_);
  queued_bytes_ = 0;
  batch.overflowed.swap(overflowed_);
  batch.closing = closing_;
  bool any = !batch.events.empty() || !batch.overflowed.empty() || batch.closing;
  if (!any) wake_pending_ = false;
  return any;
}

} // namespace es::hub
