#pragma once
// The GRIP publish format (docs/protocol.md §19), what Pushpin's POST /publish/ takes and
// what django-eventstream, django-grip, pygripcontrol and js-grip send. eventstream is
// the origin and the proxy at once, so it reads an item back into what the publisher
// meant: the SSE text of an http-stream item becomes events on the channel it names
// (stored and numbered here, whatever `id`/`prev-id` the publisher gave), and the close
// item channel_permission_changed() sends becomes a kick.
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "publish/publish_request.hpp"

namespace es::publish {

// Whether `object` is laid out as a GRIP item rather than as an eventstream event.
bool is_grip_item(const rapidjson::Value& object);

// Adds the item's events or kick to `request`. `prefix` is the field path for messages
// ("items[2]."); `grip_prefix` what publishers put before a channel name (--grip-prefix).
// Throws BadPublishRequest, or PublishTooLarge past `max_events` (check_size).
void read_grip_item(const rapidjson::Value& object, const std::string& prefix, std::string_view grip_prefix,
                    std::size_t max_events, PublishRequest& request);

// A GRIP channel name as eventstream names it: `events-room%201` is `room 1`; a name
// without the prefix is taken as it is.
std::string channel_of_grip(std::string_view name, std::string_view grip_prefix);

} // namespace es::publish
