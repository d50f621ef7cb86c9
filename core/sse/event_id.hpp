#pragma once
// The SSE `id:` of a stream is its whole position: `chan:N` for every stored channel,
// joined with ',' and percent-encoded like Python's quote() (docs/protocol.md §3), e.g. `a:3,b%20c:7`.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace es::sse {

using Position = std::vector<std::pair<std::string, std::uint64_t>>;

std::string format_position(const Position& position);

// Appends one `channel:id` pair, the channel already percent-encoded, without allocating
// once `out` has room: streams write their ids with this on every event.
void append_position_pair(std::string& out, std::string_view encoded_channel, std::uint64_t id);

// What a client's last event id says.
struct NoLastId {};        // absent or empty: start at the head
struct AfterStreamError {}; // `error`, the id of a stream-error: the client must not resume
struct BadLastId {
  std::string reason;
};
using LastId = std::variant<NoLastId, AfterStreamError, Position, BadLastId>;

LastId parse_last_id(std::string_view text);

} // namespace es::sse
