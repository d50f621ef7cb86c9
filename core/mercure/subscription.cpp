#include "mercure/subscription.hpp"

namespace es::mercure {

bool Subscription::selects(const hub::TopicUpdate& update) const {
  for (const auto& selector : selectors)
    for (const auto& topic : update.topics)
      if (selector.matches(topic)) return true;
  return false;
}

bool Subscription::may_read(const hub::TopicUpdate& update) const {
  return !update.is_private || (grants && grants->may_receive(update.topics));
}

} // namespace es::mercure
