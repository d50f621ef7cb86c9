#pragma once
// Where a reconnecting Mercure subscriber resumes (docs/mercure.md, "History"): after the
// update its Last-Event-ID names, whatever topic it had; `earliest` before everything
// retained; an id no longer known (trimmed, or never given out) replays nothing, and the
// answer's Last-Event-ID says `earliest` so the subscriber knows it may have missed some.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mercure/recent_ids.hpp"
#include "storage/storage.hpp"

namespace es::mercure {

struct Resumption {
  std::optional<std::uint64_t> after; // the position in the update channel; none: live only
  std::string answered;               // the answer's Last-Event-ID
};

// Blocking (storage): call it on a reader thread. `storage` may be null (no history).
Resumption resume_after(storage::Storage* storage, const RecentIds& recent, std::string_view last_event_id);

// Fills `recent` with the newest `count` stored ids, at start. Blocking.
void remember_stored(storage::Storage& storage, RecentIds& recent, std::size_t count);

} // namespace es::mercure
