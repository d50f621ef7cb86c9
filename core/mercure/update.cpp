#include "mercure/update.hpp"

#include <cstdio>

#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "sse/encoder.hpp"
#include "util/json_reader.hpp"

namespace es::mercure {
namespace {

hub::EventPtr encoded(std::uint64_t number, const Update& update, std::string stored) {
  auto route = std::make_shared<hub::TopicUpdate>();
  route->id = update.id;
  route->topics = update.topics;
  route->is_private = update.is_private;
  route->stored = std::move(stored);
  std::string body;
  if (update.retry) body = "retry: " + std::to_string(*update.retry) + "\n";
  body += sse::event_body(update.data);
  auto event = hub::make_encoded_event(std::string(update_channel), number,
                                       update.type.empty() ? std::string() : sse::event_head(update.type),
                                       std::move(body), {});
  auto shared = std::const_pointer_cast<hub::Event>(event);
  // The update's own id, whatever the stream's position: Mercure ids are the publisher's.
  shared->id_line = "id: " + update.id + "\n";
  shared->update = std::move(route);
  return event;
}

} // namespace

std::string stored_form(const Update& update) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  writer.StartObject();
  writer.Key("topics");
  writer.StartArray();
  for (const auto& topic : update.topics) writer.String(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
  writer.EndArray();
  if (update.is_private) {
    writer.Key("private");
    writer.Bool(true);
  }
  if (!update.type.empty()) {
    writer.Key("type");
    writer.String(update.type.data(), static_cast<rapidjson::SizeType>(update.type.size()));
  }
  if (update.retry) {
    writer.Key("retry");
    writer.Uint64(*update.retry);
  }
  writer.Key("data");
  writer.String(update.data.data(), static_cast<rapidjson::SizeType>(update.data.size()));
  writer.EndObject();
  return {out.GetString(), out.GetSize()};
}

hub::EventPtr update_event(std::uint64_t number, const Update& update) {
  return encoded(number, update, stored_form(update));
}

hub::EventPtr stored_update_event(std::uint64_t number, std::string_view id, std::string_view stored) {
  Update update;
  update.id = id;
  JsonDocument doc;
  if (read_json(doc, stored).empty() && doc.IsObject()) {
    auto text = [&](const char* key) -> std::string {
      auto it = doc.FindMember(key);
      return it != doc.MemberEnd() && it->value.IsString()
                 ? std::string(it->value.GetString(), it->value.GetStringLength())
                 : std::string();
    };
    if (auto topics = doc.FindMember("topics"); topics != doc.MemberEnd() && topics->value.IsArray())
      for (const auto& topic : topics->value.GetArray())
        if (topic.IsString()) update.topics.emplace_back(topic.GetString(), topic.GetStringLength());
    if (auto priv = doc.FindMember("private"); priv != doc.MemberEnd()) update.is_private = priv->value.IsTrue();
    if (auto retry = doc.FindMember("retry"); retry != doc.MemberEnd() && retry->value.IsUint64())
      update.retry = retry->value.GetUint64();
    update.type = text("type");
    update.data = text("data");
  }
  return encoded(number, update, std::string(stored));
}

publish::PublishItem publish_item(const Update& update) {
  return {std::string(update_channel), update.id, stored_form(update), {}};
}

std::string generated_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("the system's random generator failed");
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string id = "urn:uuid:";
  char hex[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    id += hex;
  }
  return id;
}

std::vector<std::string> stored_channels(const config::ServerConfig& config) {
  auto channels = config.reliable;
  if (config.mercure()) channels.emplace_back(update_channel);
  return channels;
}

} // namespace es::mercure
