#include "mercure/mercure_hub.hpp"

namespace es::mercure {

MercureHub::MercureHub(HubSettings settings, auth::JwtVerifier publisher_key, auth::JwtVerifier subscriber_key)
    : settings_(std::move(settings)), publisher_key_(std::move(publisher_key)),
      subscriber_key_(std::move(subscriber_key)), presence_(settings_.path) {}

void MercureHub::observe(const std::vector<hub::EventPtr>& events) {
  for (const auto& event : events) {
    if (!event->update) continue;
    if (event->id) recent_.remember(event->update->id, event->id);
    if (settings_.subscriptions) presence_.observe(*event->update);
  }
}

} // namespace es::mercure
