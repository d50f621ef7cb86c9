#include "hub/topic_index.hpp"

#include <algorithm>
#include <cctype>


namespace es::hub {

std::string origin_of(std::string_view text) {
  auto scheme = text.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return {};
  auto end = text.find('/', scheme + 3);
  if (end == std::string_view::npos) return {};
  std::string origin(text.substr(0, end));
  for (auto& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

std::string TopicIndex::key_of(const mercure::Selector& selector) {
  return std::to_string(static_cast<int>(selector.kind())) + ":" + selector.text();
}

void TopicIndex::add(const std::shared_ptr<Subscriber>& subscriber) {
  for (const auto& selector : subscriber->subscription()->selectors) {
    auto& slot = groups_[key_of(selector)];
    if (!slot) {
      slot = std::make_unique<Group>(Group{selector, {}, {}});
      using Kind = mercure::Selector::Kind;
      if (selector.kind() == Kind::exact) {
        exact_[selector.text()] = slot.get();
      } else {
        // A pattern's literal start must hold the whole origin for it to be bucketed;
        // "https://{host}/x" or a relative pattern may match any origin.
        slot->origin = selector.kind() == Kind::any ? std::string() : origin_of(selector.literal_prefix());
        if (slot->origin.empty()) anywhere_.push_back(slot.get());
        else by_origin_[slot->origin].push_back(slot.get());
      }
    }
    auto& members = slot->members;
    // A stream that gave one selector twice is in its group once.
    if (std::find(members.begin(), members.end(), subscriber) == members.end()) members.push_back(subscriber);
  }
}

void TopicIndex::remove(const std::shared_ptr<Subscriber>& subscriber) {
  for (const auto& selector : subscriber->subscription()->selectors) {
    auto it = groups_.find(key_of(selector));
    if (it == groups_.end()) continue;
    auto& group = *it->second;
    auto& members = group.members;
    auto pos = std::find(members.begin(), members.end(), subscriber);
    if (pos == members.end()) continue;
    *pos = std::move(members.back());
    members.pop_back();
    if (!members.empty()) continue;
    auto unlist = [&](std::vector<Group*>& list) { list.erase(std::find(list.begin(), list.end(), &group)); };
    if (group.selector.kind() == mercure::Selector::Kind::exact) {
      exact_.erase(group.selector.text());
    } else if (group.origin.empty()) {
      unlist(anywhere_);
    } else {
      auto bucket = by_origin_.find(group.origin);
      unlist(bucket->second);
      if (bucket->second.empty()) by_origin_.erase(bucket);
    }
    groups_.erase(it);
  }
}

} // namespace es::hub
