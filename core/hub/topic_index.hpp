#pragma once
// Which Mercure streams of one hub shard an update goes to, by topic
// (docs/mercure.md, "How matching scales").
//
// Streams are grouped by selector: streams that subscribed with the same selector share
// one group, so a selector is tested once per update however many streams use it.
// Exact selectors are found by hashing the update's topics. Templates and URL patterns
// whose literal start names a whole origin ("https://example.com/") are kept under that
// origin, so an update is tested only against the patterns of its own origin (and the
// few with no literal origin). An update's cost is then one hash lookup per topic plus
// one test per distinct plausible pattern, whatever the number of topics a pattern
// covers or of streams sharing it; each test is linear in the topic's length. Only
// streams that receive it cost anything more.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/event.hpp"
#include "hub/subscriber.hpp"
#include "mercure/subscription.hpp"

namespace es::hub {

class TopicIndex {
public:
  // `subscriber` has a subscription (Subscriber::subscription()).
  void add(const std::shared_ptr<Subscriber>& subscriber);
  void remove(const std::shared_ptr<Subscriber>& subscriber);

  // Every stream that selects `update` and may read it, once each.
  template <class Deliver> void route(const TopicUpdate& update, Deliver&& deliver);

private:
  struct Group {
    mercure::Selector selector;
    std::string origin; // the bucket it is kept in; empty: anywhere_
    std::vector<std::shared_ptr<Subscriber>> members;
  };
  static std::string key_of(const mercure::Selector& selector);
  template <class Deliver> void offer(Group& group, const TopicUpdate& update, Deliver& deliver);

  std::unordered_map<std::string, std::unique_ptr<Group>> groups_; // by key_of
  std::unordered_map<std::string, Group*> exact_;                  // by topic
  std::unordered_map<std::string, std::vector<Group*>> by_origin_; // patterns, by lowercased origin
  std::vector<Group*> anywhere_;                                   // patterns without one, and "*"
  std::uint64_t stamp_ = 0;
};

// "https://example.com" of "https://Example.com/books/1", lowercased; "" when `text`
// does not start with a whole origin.
std::string origin_of(std::string_view text);

template <class Deliver> void TopicIndex::offer(Group& group, const TopicUpdate& update, Deliver& deliver) {
  for (const auto& subscriber : group.members)
    if (subscriber->route_once(stamp_) && subscriber->subscription()->may_read(update)) deliver(subscriber);
}

template <class Deliver> void TopicIndex::route(const TopicUpdate& update, Deliver&& deliver) {
  ++stamp_;
  for (const auto& topic : update.topics) {
    if (auto it = exact_.find(topic); it != exact_.end()) offer(*it->second, update, deliver);
    if (!by_origin_.empty())
      if (auto it = by_origin_.find(origin_of(topic)); it != by_origin_.end())
        for (auto* group : it->second)
          if (group->selector.matches(topic)) offer(*group, update, deliver);
    for (auto* group : anywhere_)
      if (group->selector.matches(topic)) offer(*group, update, deliver);
  }
}

} // namespace es::hub
