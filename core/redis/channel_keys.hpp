#pragma once
// What Redis calls a channel's data: `eventstream:{c:NAME}:head` (its id counter),
// `eventstream:{c:NAME}:events` (its stream) and the pub/sub channel
// `eventstream:{c:NAME}:live`. The hash tag `{c:NAME}` puts all three in one slot of a
// Redis Cluster, so an append is one script on one shard, and that shard also fans the
// channel out. The `c:` keeps the tag from being empty (a name that starts with '}'),
// and the kind after the tag keeps every (channel, kind) its own name.
#include <optional>
#include <string>
#include <string_view>

namespace es::redis {

std::string head_key(std::string_view channel);
std::string events_key(std::string_view channel);
std::string live_channel(std::string_view channel);

// The channel of an events key or a live channel; nullopt for any other name.
std::optional<std::string> channel_of_events_key(std::string_view key);
std::optional<std::string> channel_of_live(std::string_view name);

// For SCAN: every events key.
inline constexpr std::string_view events_key_pattern = "eventstream:{c:*}:events";

} // namespace es::redis
