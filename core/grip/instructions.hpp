#pragma once
// What an origin tells a GRIP proxy in the headers of its answer (docs/protocol.md §11), written as
// django-eventstream 4.5.1 writes them, and the Grip-Last header the proxy sends back
// when it recovers a gap.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sse/event_id.hpp"

namespace es::grip {

// The proxy channel of a stream channel: "events-" + the channel percent-encoded.
std::string stream_channel(std::string_view channel);
// The proxy channel that kicks of `user` go to: "user-<id>", or "user-anonymous".
std::string user_channel(std::string_view user);

// The build-id filter reads `%I` as the subscriber's id and `%%` as a percent sign, so
// every `%` of bytes that pass through it is doubled.
std::string escape_build_id(std::string_view text);

struct HeldChannel {
  std::string_view encoded;              // the channel percent-encoded, as in ids
  std::optional<std::uint64_t> prev_id;  // stored channels: the last id the client has
};

// Grip-Channel: every channel (stored ones with prev-id and build-id), then the user's
// channel, which only kicks for a channel of this stream (require-sub) may reach.
std::string channel_header(const std::vector<HeldChannel>& channels, std::string_view user);

// Grip-Set-Meta: `id_format`, which builds the stream's id from the proxy's last ids in
// the order of the channels (when any is stored), and `user`, for the skip-users filter.
std::string set_meta_header(const std::vector<HeldChannel>& channels, std::string_view user);

// Grip-Keep-Alive: `data` after `interval` without output.
std::string keep_alive_header(std::string_view data, std::chrono::seconds interval);

// The last ids in Grip-Last values (one per header line, or several joined with ','):
// `events-<channel>; last-id=N`. Other entries (the user channel) are ignored.
sse::Position parse_grip_last(const std::vector<std::string_view>& values);

} // namespace es::grip
