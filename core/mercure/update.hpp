#pragma once
// A Mercure update (docs/mercure.md): what a publisher posts, how storage keeps it, and
// the SSE event every subscriber shares. Updates are stored as the events of one channel
// that no client of our own protocol can name (its name holds a control character), so
// they share the storage, retention, committer and Redis fan-out of every other event,
// and that channel's ids are the hub-wide publish order history is replayed in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/server_config.hpp"
#include "hub/event.hpp"
#include "publish/publish_request.hpp"

namespace es::mercure {

inline constexpr std::string_view update_channel = "\x01mercure";

struct Update {
  std::string id;
  std::vector<std::string> topics; // the first is canonical
  bool is_private = false;
  std::string type; // the SSE event type; empty: message
  std::optional<std::uint64_t> retry;
  std::string data;
};

// What storage keeps as the event's data: {"topics":[...],"private":...,"type":...,
// "retry":...,"data":...}. The id is kept as the event's type, so finding an id in
// storage reads no JSON.
std::string stored_form(const Update& update);

// The event every subscriber writes: "event:" when typed, "id:", "retry:" when given,
// then the data lines. `number` is the update's position in the channel (0: not stored).
hub::EventPtr update_event(std::uint64_t number, const Update& update);

// The same from what storage or another instance holds. Text that is not an update
// (written by something else) makes an event routed to nobody.
hub::EventPtr stored_update_event(std::uint64_t number, std::string_view id, std::string_view stored);

// What the publisher commits for `update` (whose id is set): an event of the update channel.
publish::PublishItem publish_item(const Update& update);

// The channels whose events are stored: --reliable's, and the update channel when the hub
// is on (Mercure history does not depend on --reliable).
std::vector<std::string> stored_channels(const config::ServerConfig& config);

// "urn:uuid:" and a random (version 4) UUID.
std::string generated_id();

} // namespace es::mercure
