#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace es::hub {

// What routes a Mercure update (mercure/update.hpp): its topics, the first canonical, and
// whether only authorized subscribers may read it. Its id and stored form travel with it,
// so another instance rebuilds the same event from what Redis carries.
struct TopicUpdate {
  std::string id;
  std::vector<std::string> topics;
  bool is_private = false;
  std::string stored; // what storage holds as the event's data (mercure/update.hpp)
};

// A published event, encoded once. Every subscriber queues the same pointer and writes
// the same bytes; only the `id:` line between head and body can differ, because it is
// the position of the subscriber's whole stream.
struct Event {
  std::string channel;
  std::uint64_t id = 0; // the channel's counter; 0 when the channel is not stored
  std::string head;     // "event: <type>\n"
  std::string id_line;  // "id: <channel>:<id>\n", the whole id of a one-channel stream; empty when not stored
  std::string body;     // "data: ...\n\n"
  std::vector<std::string> skip_users; // users who must not receive it
  // A Mercure update: routed by topic, and its id_line is the update's own id.
  std::shared_ptr<const TopicUpdate> update;
};

using EventPtr = std::shared_ptr<const Event>;

// The event `type` and `data` published on `channel` as its `id` (0: not stored). On the
// Mercure channel, `type` is the update's id and `data` its stored form.
EventPtr make_event(std::string channel, std::uint64_t id, std::string_view type, std::string_view data,
                    std::vector<std::string> skip_users);

// The same from the head and body that make_event encoded, as another instance sends
// them through Redis.
EventPtr make_encoded_event(std::string channel, std::uint64_t id, std::string head, std::string body,
                            std::vector<std::string> skip_users);

} // namespace es::hub
