#pragma once
// The body of POST /publish/ (docs/protocol.md §8): one event object, or {"items": [...]}.
// Each event: "channel" (non-empty string), "data" (any JSON), optional "type"
// (default "message"; a name, see sse/event_type.hpp), optional "raw" (true: data is a
// string sent as is, split into data: lines at line breaks), optional "skip_users"
// (user ids). A batch may instead hold GRIP items (grip_items.hpp, docs/protocol.md §19).
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace es::publish {

struct PublishItem {
  std::string channel;
  std::string type = "message";
  std::string data; // the text that goes after "data: ", Python-style JSON or raw
  std::vector<std::string> skip_users;
};

// A user whose streams on a channel must be checked again (docs/protocol.md §9).
struct Kick {
  std::string user; // empty: anonymous users
  std::string channel;
};

struct PublishRequest {
  std::vector<PublishItem> items;
  std::vector<Kick> kicks; // GRIP close items, done after the events are published
  bool grip = false;       // the body was GRIP items: the answer is Pushpin's
};

// The message names the offending field, e.g. `items[2].type: has the control character 0x0a; ...`.
class BadPublishRequest : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// A request over the limits of what one may hold (413).
class PublishTooLarge : public BadPublishRequest {
public:
  using BadPublishRequest::BadPublishRequest;
};

// `grip_prefix`: what GRIP publishers put before channel names (--grip-prefix);
// `max_events`: the most events and kicks one request may hold (--max-batch), checked
// as they are read, since one GRIP item may hold many events.
PublishRequest parse_publish_request(std::string_view body, std::string_view grip_prefix, std::size_t max_events);

// Throws PublishTooLarge when `request` holds more than `max_events` events and kicks.
void check_size(const PublishRequest& request, std::size_t max_events);

} // namespace es::publish
