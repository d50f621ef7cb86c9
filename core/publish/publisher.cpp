#include "publish/publisher.hpp"

#include "sse/encoder.hpp"

namespace es::publish {

std::vector<std::optional<std::uint64_t>> Publisher::publish(const std::vector<PublishItem>& items) {
  std::vector<hub::EventPtr> events;
  events.reserve(items.size());
  for (const auto& item : items)
    events.push_back(std::make_shared<const hub::Event>(
        hub::Event{item.channel, 0, sse::event_head(item.type), sse::event_body(item.data)}));
  hub_.publish(events);
  return std::vector<std::optional<std::uint64_t>>(items.size());
}

} // namespace es::publish
