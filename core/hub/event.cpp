#include "hub/event.hpp"

#include <utility>

#include "mercure/update.hpp"
#include "sse/encoder.hpp"
#include "sse/event_id.hpp"
#include "util/url.hpp"

namespace es::hub {

EventPtr make_event(std::string channel, std::uint64_t id, std::string_view type, std::string_view data,
                    std::vector<std::string> skip_users) {
  if (channel == mercure::update_channel) return mercure::stored_update_event(id, type, data);
  return make_encoded_event(std::move(channel), id, sse::event_head(type), sse::event_body(data),
                            std::move(skip_users));
}

EventPtr make_encoded_event(std::string channel, std::uint64_t id, std::string head, std::string body,
                            std::vector<std::string> skip_users) {
  auto event = std::make_shared<Event>();
  event->channel = std::move(channel);
  event->id = id;
  event->head = std::move(head);
  event->body = std::move(body);
  event->skip_users = std::move(skip_users);
  if (id) {
    event->id_line = "id: ";
    sse::append_position_pair(event->id_line, percent_encode(event->channel), id);
    event->id_line += '\n';
  }
  return event;
}

} // namespace es::hub
