#include "mercure/history.hpp"

#include <algorithm>

#include "mercure/update.hpp"
#include "util/utf8.hpp"

namespace es::mercure {
namespace {

constexpr std::size_t page = 1000;
constexpr std::uint64_t lookback = 10 * page;
const std::string channel(update_channel);

} // namespace

Resumption resume_after(storage::Storage* storage, const RecentIds& recent, std::string_view last_event_id) {
  // No update has an id with control characters (the publish form refuses them).
  if (!storage || has_control_character(last_event_id)) return {std::nullopt, "earliest"};
  auto range = storage->range(channel);
  if (last_event_id == "earliest") return {range.first - 1, "earliest"};
  if (auto number = recent.find(last_event_id)) return {*number, std::string(last_event_id)};
  // Not remembered: an id too old, made up, or of an update this instance missed while
  // Redis was away. Only the newest `lookback` retained updates are read for it (oldest
  // first, so a reused id resolves to its first update): a made-up id then costs a
  // reader thread a few pages, never the whole history.
  std::uint64_t after = std::max(range.first - 1, range.head > lookback ? range.head - lookback : 0);
  while (after < range.head) {
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
