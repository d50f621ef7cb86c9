#include "redis/channel_keys.hpp"

namespace es::redis {
namespace {

constexpr std::string_view opening = "eventstream:{c:";

std::string named(std::string_view channel, std::string_view kind) {
  std::string name;
  name.reserve(opening.size() + channel.size() + 2 + kind.size());
  name += opening;
  name += channel;
  name += "}:";
  name += kind;
  return name;
}

std::optional<std::string> channel_in(std::string_view name, std::string_view kind) {
  std::size_t closing = 2 + kind.size(); // "}:" kind
  if (name.size() < opening.size() + closing || !name.starts_with(opening) || !name.ends_with(kind) ||
      name.substr(name.size() - closing, 2) != "}:")
    return std::nullopt;
  return std::string(name.substr(opening.size(), name.size() - opening.size() - closing));
}

} // namespace

std::string head_key(std::string_view channel) { return named(channel, "head"); }
std::string events_key(std::string_view channel) { return named(channel, "events"); }
std::string live_channel(std::string_view channel) { return named(channel, "live"); }

std::optional<std::string> channel_of_events_key(std::string_view key) { return channel_in(key, "events"); }
std::optional<std::string> channel_of_live(std::string_view name) { return channel_in(name, "live"); }

} // namespace es::redis
