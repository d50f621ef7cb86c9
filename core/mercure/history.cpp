#include "mercure/history.hpp"

#include "mercure/update.hpp"
#include "util/utf8.hpp"

namespace es::mercure {
namespace {

constexpr std::size_t page = 1000;
const std::string channel(update_channel);

} // namespace

Resumption resume_after(storage::Storage* storage, const RecentIds& recent, std::string_view last_event_id) {
  // No update has an id with control characters (the publish form refuses them).
  if (!storage || has_control_character(last_event_id)) return {std::nullopt, "earliest"};
  auto range = storage->range(channel);
  if (last_event_id == "earliest") return {range.first - 1, "earliest"};
  if (auto number = recent.find(last_event_id)) return {*number, std::string(last_event_id)};
  // Not among the newest: the retained updates are read oldest first, so a reused id
  // resolves to its first update. Bounded by what is retained.
  for (std::uint64_t after = range.first - 1; after < range.head;) {
    auto events = storage->read(channel, after, page);
    if (events.empty()) break;
    for (const auto& event : events)
      if (event.type == last_event_id) return {event.id, std::string(last_event_id)};
    after = events.back().id;
  }
  return {std::nullopt, "earliest"};
}

void remember_stored(storage::Storage& storage, RecentIds& recent, std::size_t count) {
  auto range = storage.range(channel);
  std::uint64_t after = range.head > count ? std::max(range.head - count, range.first - 1) : range.first - 1;
  while (after < range.head) {
    auto events = storage.read(channel, after, page);
    if (events.empty()) break;
    for (const auto& event : events) recent.remember(event.type, event.id);
    after = events.back().id;
  }
}

} // namespace es::mercure
