#include "publish/publish_request.hpp"

#include <rapidjson/document.h>

#include "publish/grip_items.hpp"
#include "publish/item_fields.hpp"
#include "sse/event_type.hpp"
#include "sse/json_text.hpp"
#include "util/json_reader.hpp"

namespace es::publish {
namespace {

PublishItem parse_item(const rapidjson::Value& object, const std::string& prefix) {
  if (!object.IsObject())
    throw BadPublishRequest((prefix.empty() ? std::string("body") : prefix.substr(0, prefix.size() - 1)) +
                            ": must be an object with channel, type and data");
  PublishItem item;
  const rapidjson::Value* data = nullptr;
  bool raw = false;
  for (const auto& member : object.GetObject()) {
    std::string_view name = text_of(member.name);
    const rapidjson::Value& value = member.value;
    std::string field = prefix + std::string(name);
    if (name == "channel") {
      if (!value.IsString() || value.GetStringLength() == 0) fail(field, "must be a non-empty string");
      item.channel = std::string(text_of(value));
    } else if (name == "type") {
      if (!value.IsString() || value.GetStringLength() == 0) fail(field, "must be a non-empty string");
      item.type = std::string(text_of(value));
      if (auto problem = sse::event_type_problem(item.type); !problem.empty()) fail(field, problem);
    } else if (name == "data") {
      data = &value;
    } else if (name == "raw") {
      if (!value.IsBool()) fail(field, "must be true or false");
      raw = value.GetBool();
    } else if (name == "skip_users") {
      if (!value.IsArray()) fail(field, "must be an array of user id strings");
      for (const auto& user : value.GetArray()) {
        if (!user.IsString()) fail(field, "must be an array of user id strings");
        item.skip_users.emplace_back(text_of(user));
      }
    } else {
      fail(field, "unknown field (an event has channel, type, data, raw and skip_users)");
    }
  }
  if (item.channel.empty()) fail(prefix + "channel", "is required");
  if (!data) fail(prefix + "data", "is required (use null for an event without data)");
  if (raw) {
    if (!data->IsString()) fail(prefix + "data", "must be a string when raw is true");
    item.data = std::string(text_of(*data));
  } else {
    item.data = sse::python_json(*data);
  }
  return item;
}

} // namespace

void check_size(const PublishRequest& request, std::size_t max_events) {
  if (request.items.size() + request.kicks.size() <= max_events) return;
  throw PublishTooLarge("items: more than " + std::to_string(max_events) +
                        " events in one request (a GRIP close item counts as one); this server takes at most " +
                        std::to_string(max_events) + " (--max-batch): send several requests");
}

PublishRequest parse_publish_request(std::string_view body, std::string_view grip_prefix, std::size_t max_events) {
  JsonDocument doc;
  if (auto problem = read_json(doc, body); !problem.empty()) throw BadPublishRequest("body: " + problem);
  if (!doc.IsObject())
    throw BadPublishRequest("body: must be a JSON object: {\"channel\", \"type\", \"data\"} or {\"items\": [...]}");

  PublishRequest request;
  auto batch = doc.FindMember("items");
  if (batch == doc.MemberEnd()) {
    request.items.push_back(parse_item(doc, ""));
    return request;
  }
  if (doc.MemberCount() != 1) throw BadPublishRequest("body: a batch holds only \"items\"");
  if (!batch->value.IsArray() || batch->value.Empty())
    throw BadPublishRequest("items: must be a non-empty array of events");
  request.grip = is_grip_item(batch->value[0]);
  std::size_t index = 0;
  for (const auto& object : batch->value.GetArray()) {
    std::string prefix = "items[" + std::to_string(index++) + "].";
    if (is_grip_item(object) != request.grip)
      throw BadPublishRequest(prefix.substr(0, prefix.size() - 1) + ": " +
                              (request.grip ? "is an eventstream event in a batch of GRIP items"
                                            : "is a GRIP item in a batch of eventstream events") +
                              "; send them in separate requests");
    if (request.grip) read_grip_item(object, prefix, grip_prefix, max_events, request);
    else request.items.push_back(parse_item(object, prefix));
    check_size(request, max_events);
  }
  return request;
}

} // namespace es::publish
