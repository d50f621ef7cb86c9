#pragma once
// What a channel may be called. Names go into HTTP headers (Grip-Channel, Grip-Link) and
// ids percent-encoded, and into JSON and log lines as they are; control characters
// (CR and LF among them) are refused everywhere, so no name can split a log line, and
// none reaches a place unencoded where it could split a header (SECURITY.md). Spaces,
// '%', ',' and the like are fine, as in django-eventstream.
#include <cstddef>
#include <string>
#include <string_view>

namespace es::hub {

// Empty when `name` is a valid channel name no longer than `max_length` bytes; otherwise
// what is wrong with it, to be shown to whoever sent it.
std::string channel_name_problem(std::string_view name, std::size_t max_length);

} // namespace es::hub
