#pragma once
// One Mercure stream's side of routing: the selectors it subscribed with, and what its
// token lets it read. The hub's topic index (hub/topic_index.hpp) routes live updates by
// the selectors; replay asks wants() of each stored update.
#include <memory>
#include <string>
#include <vector>

#include "hub/event.hpp"
#include "mercure/grants.hpp"
#include "mercure/selector.hpp"

namespace es::mercure {

struct Subscription {
  std::vector<Selector> selectors;
  std::shared_ptr<const Grants> grants; // null: no token (public updates only)
  std::string subscriber;               // urn:uuid, made for this stream (subscription events)

  // Some topic of the update is matched by some selector.
  bool selects(const hub::TopicUpdate& update) const;
  // A public update, or a private one the token grants a topic of.
  bool may_read(const hub::TopicUpdate& update) const;
  bool wants(const hub::TopicUpdate& update) const { return may_read(update) && selects(update); }
};

} // namespace es::mercure
