#pragma once
// Active subscriptions (docs/mercure.md, "Subscriptions API"): who is subscribed to what,
// which users ask every SSE server for.
//
// A stream's subscriptions are announced as the protocol's subscription events: private
// updates on the hub's own topics, {hub}/subscriptions/{selector}/{subscriber}, published
// when it opens and when it ends. Every instance builds its list from those events as
// its hub receives them, so instances sharing Redis list each other's subscribers
// without asking each other. An instance killed without closing its streams cannot
// announce their end: its subscriptions stay listed until the instances restart.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hub/event.hpp"
#include "mercure/subscription.hpp"
#include "mercure/update.hpp"
#include "publish/publisher.hpp"

namespace es::mercure {

class Presence {
public:
  explicit Presence(std::string hub_path);

  // Takes note of a subscription event; any other update is ignored.
  void observe(const hub::TopicUpdate& update);

  // The JSON documents of the active subscriptions, by id; `selector` and `subscriber`
  // narrow them when not empty.
  std::vector<std::string> list(std::string_view selector, std::string_view subscriber) const;

  // The subscription events announcing `subscription`'s selectors, active or ended.
  std::vector<Update> announcements(const Subscription& subscription, bool active) const;

  // "{hub}/subscriptions"
  const std::string& root() const { return root_; }

private:
  const std::string root_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> active_; // id -> document
};

// Held by a stream while it is open (StreamPlan::held): announces its subscriptions at
// once, and their end when the stream is gone.
class Announcement {
public:
  Announcement(publish::Publisher& publisher, const Presence& presence, std::shared_ptr<const Subscription> subscription);
  ~Announcement();
  Announcement(const Announcement&) = delete;
  Announcement& operator=(const Announcement&) = delete;

private:
  void announce(bool active);
  publish::Publisher& publisher_;
  const Presence& presence_;
  const std::shared_ptr<const Subscription> subscription_;
};

} // namespace es::mercure
