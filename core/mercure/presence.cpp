#include "mercure/presence.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/json_reader.hpp"
#include "util/log.hpp"
#include "util/url.hpp"

namespace es::mercure {
namespace {

std::string string_member(const rapidjson::Value& doc, const char* key) {
  auto it = doc.FindMember(key);
  return it != doc.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
}

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

} // namespace

Presence::Presence(std::string hub_path) : root_(std::move(hub_path) + "/subscriptions") {}

void Presence::observe(const hub::TopicUpdate& update) {
  if (!update.is_private || update.topics.empty() || !update.topics.front().starts_with(root_ + "/")) return;
  JsonDocument envelope, doc;
  if (!read_json(envelope, update.stored).empty() || !envelope.IsObject()) return;
  auto data = string_member(envelope, "data");
  if (!read_json(doc, data).empty() || !doc.IsObject()) return;
  auto id = string_member(doc, "id");
  auto active = doc.FindMember("active");
  if (id.empty() || active == doc.MemberEnd()) return;
  std::lock_guard lock(mutex_);
  if (active->value.IsTrue()) active_[id] = std::move(data);
  else active_.erase(id);
}

std::vector<std::string> Presence::list(std::string_view selector, std::string_view subscriber) const {
  std::string prefix = root_ + "/";
  if (!selector.empty()) {
    prefix += percent_encode(selector, "");
    prefix += '/';
    if (!subscriber.empty()) prefix += percent_encode(subscriber, "");
  }
  std::vector<std::string> documents;
  std::lock_guard lock(mutex_);
  for (auto it = active_.lower_bound(prefix); it != active_.end() && it->first.starts_with(prefix); ++it)
    if (subscriber.empty() || it->first.size() == prefix.size()) documents.push_back(it->second);
  return documents;
}

std::vector<Update> Presence::announcements(const Subscription& subscription, bool active) const {
  std::vector<Update> updates;
  for (const auto& selector : subscription.selectors) {
    Update update;
    update.id = generated_id();
    update.topics.push_back(root_ + "/" + percent_encode(selector.text(), "") + "/" +
                            percent_encode(subscription.subscriber, ""));
    update.is_private = true;
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    writer.StartObject();
    writer.Key("@context");
    writer.String("https://mercure.rocks/");
    writer.Key("id");
    write_string(writer, update.topics.front());
    writer.Key("type");
    writer.String("Subscription");
    writer.Key("topic");
    write_string(writer, selector.text());
    writer.Key("subscriber");
    write_string(writer, subscription.subscriber);
    writer.Key("active");
    writer.Bool(active);
    if (subscription.grants)
      if (auto payload = subscription.grants->payload_for(selector); !payload.empty()) {
        writer.Key("payload");
        writer.RawValue(payload.data(), payload.size(), rapidjson::kObjectType);
      }
    writer.EndObject();
    update.data.assign(out.GetString(), out.GetSize());
    updates.push_back(std::move(update));
  }
  return updates;
}

Announcement::Announcement(publish::Publisher& publisher, const Presence& presence,
                           std::shared_ptr<const Subscription> subscription)
    : publisher_(publisher), presence_(presence), subscription_(std::move(subscription)) {
  announce(true);
}

Announcement::~Announcement() {
  try {
    announce(false);
  } catch (const std::exception& e) {
    log(LogLevel::warn, std::string("the end of a Mercure subscription could not be announced: ") + e.what());
  }
}

void Announcement::announce(bool active) {
  std::vector<publish::PublishItem> items;
  for (const auto& update : presence_.announcements(*subscription_, active)) items.push_back(publish_item(update));
  publisher_.publish(std::move(items), [](const publish::PublishOutcome& outcome) {
    if (!outcome.error.empty())
      log(LogLevel::warn, "a Mercure subscription event was not published: " + outcome.error);
  });
}

} // namespace es::mercure
