#include "client/publish_client.hpp"

#include <curl/curl.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "grip/grip_publisher.hpp"
#include "publish/publish_request.hpp"
#include "util/glob_set.hpp"
#include "sse/encoder.hpp"
#include "util/json_reader.hpp"
#include "util/outgoing_http.hpp"

namespace es::client {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string body_of(const std::vector<OutgoingEvent>& events) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("items");
  writer.StartArray();
  for (const auto& event : events) {
    writer.StartObject();
    writer.Key("channel");
    writer.String(event.channel.data(), static_cast<rapidjson::SizeType>(event.channel.size()));
    writer.Key("type");
    writer.String(event.type.data(), static_cast<rapidjson::SizeType>(event.type.size()));
    writer.Key("data");
    if (event.raw) {
      writer.String(event.data.data(), static_cast<rapidjson::SizeType>(event.data.size()));
      writer.Key("raw");
      writer.Bool(true);
    } else {
      writer.RawValue(event.data.data(), event.data.size(), rapidjson::kObjectType);
    }
    if (!event.skip_users.empty()) {
      writer.Key("skip_users");
      writer.StartArray();
      for (const auto& user : event.skip_users)
        writer.String(user.data(), static_cast<rapidjson::SizeType>(user.size()));
      writer.EndArray();
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

// The server's {"error": "..."} message, or the body itself.
std::string server_message(const std::string& body) {
  rapidjson::Document doc;
  if (read_json(doc, body).empty() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsString())
    return doc["error"].GetString();
  return body;
}

std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

} // namespace

void check_json(std::string_view json, std::string_view what) {
  rapidjson::Document doc;
  if (auto problem = read_json(doc, json); !problem.empty())
    throw SendError(std::string(what) + " is " + problem +
                        "; quote strings, e.g. '\"hello\"', or use --raw to send text as is",
                    2);
}

OutgoingEvent parse_event_line(std::string_view line, std::size_t line_number) {
  std::string where = "line " + std::to_string(line_number);
  rapidjson::Document doc;
  if (auto problem = read_json(doc, line); !problem.empty()) throw SendError(where + ": " + problem, 2);
  auto fail = [&](std::string_view problem) {
    throw SendError(where + ": " + std::string(problem) +
                        "; each line is {\"channel\": \"...\", \"type\": \"...\", \"data\": ...}",
                    2);
  };
  if (!doc.IsObject()) fail("not a JSON object");
  OutgoingEvent event;
  event.type = "message";
  auto channel = doc.FindMember("channel");
  if (channel == doc.MemberEnd() || !channel->value.IsString() || channel->value.GetStringLength() == 0)
    fail("\"channel\" must be a non-empty string");
  event.channel = text_of(channel->value);
  if (auto type = doc.FindMember("type"); type != doc.MemberEnd()) {
    if (!type->value.IsString()) fail("\"type\" must be a string");
    event.type = text_of(type->value);
  }
  if (auto raw = doc.FindMember("raw"); raw != doc.MemberEnd()) {
    if (!raw->value.IsBool()) fail("\"raw\" must be true or false");
    event.raw = raw->value.GetBool();
  }
  auto data = doc.FindMember("data");
  if (data == doc.MemberEnd()) fail("\"data\" is missing");
  if (event.raw) {
    if (!data->value.IsString()) fail("\"data\" must be a string when \"raw\" is true");
    event.data = text_of(data->value);
  } else {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    data->value.Accept(writer);
    event.data.assign(buffer.GetString(), buffer.GetSize());
  }
  return event;
}

PublishClient::PublishClient(std::string base_url, std::string key, TlsTrust trust)
    : key_(std::move(key)), trust_(std::move(trust)) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  base_url_ = std::move(base_url);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
  if (!curl_) throw SendError("could not start libcurl", 1);
}

PublishClient::~PublishClient() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_global_cleanup();
}

void publish_to_grip(const std::string& grip_url, const std::vector<OutgoingEvent>& events,
                     const std::vector<std::string>& reliable) {
  GlobSet stored(reliable);
  std::string globs;
  for (const auto& glob : reliable) globs += (globs.empty() ? "'" : " '") + glob + "'";
  for (const auto& event : events)
    if (stored.matches(event.channel))
      throw SendError("channel '" + event.channel + "' is stored (it matches --reliable " + globs +
                          "), and a GRIP proxy drops events without ids on stored channels, so this one would "
                          "never arrive; publish through the server with --url (it stores the event and gives the "
                          "proxy its id), or, if your servers do not store this channel, pass the --reliable "
                          "globs they are started with",
                      2);
  grip::Proxy proxy;
  std::vector<publish::PublishItem> items;
  try {
    proxy = grip::parse_grip_url(grip_url);
    items = publish::parse_publish_request(body_of(events), "", events.size()).items;
  } catch (const std::exception& e) {
    throw SendError(e.what(), 2);
  }
  std::vector<std::string> grip_items;
  for (const auto& item : items) {
    hub::Event event{item.channel, 0, sse::event_head(item.type), "", sse::event_body(item.data), item.skip_users, nullptr};
    grip_items.push_back(grip::publish_item(event));
  }
  CURL* curl = curl_easy_init();
  std::string error = grip::post_to_proxy(proxy, grip::publish_body(grip_items), curl);
  curl_easy_cleanup(curl);
  if (!error.empty()) throw SendError("publishing to the GRIP proxy failed: " + error, 1);
}

rapidjson::Document PublishClient::post(const std::string& path, const std::string& body) {
  std::string url = base_url_ + path;
  std::vector<std::string> headers;
  if (!key_.empty()) headers.push_back("Authorization: Bearer " + key_);
  auto answer = http_post(curl_, url, body, headers, std::chrono::seconds(60), trust_);
  if (answer.refused)
    throw SendError("nothing is listening at " + url + "; start a server with 'eventstream serve' or pass --url", 1);
  if (auto advice = tls_advice(answer.curl_code); !advice.empty())
    throw SendError("could not reach " + url + ": " + answer.error + "; " + advice, 1);
  if (!answer.sent) throw SendError("could not reach " + url + ": " + answer.error, 1);
  if (answer.status != 200) {
    std::string message = url + " answered " + std::to_string(answer.status) + ": " + server_message(answer.body);
    throw SendError(message, answer.status == 400 || answer.status == 413 ? 2 : 1);
  }
  rapidjson::Document doc;
  if (!read_json(doc, answer.body).empty() || !doc.IsObject())
    throw SendError(url + " did not answer with JSON; is it an eventstream server?", 1);
  return doc;
}

std::vector<std::optional<std::string>> PublishClient::publish(const std::vector<OutgoingEvent>& events) {
  auto doc = post("/publish/", body_of(events));
  if (!doc.HasMember("ids") || !doc["ids"].IsArray() || doc["ids"].Size() != events.size())
    throw SendError(base_url_ + "/publish/ did not answer with the ids of the events; is it an eventstream server?", 1);
  std::vector<std::optional<std::string>> ids;
  for (const auto& id : doc["ids"].GetArray())
    ids.push_back(id.IsString() ? std::optional<std::string>(id.GetString()) : std::nullopt);
  return ids;
}

std::uint64_t PublishClient::kick(const std::string& user, const std::string& channel) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("user");
  writer.String(user.data(), static_cast<rapidjson::SizeType>(user.size()));
  writer.Key("channel");
  writer.String(channel.data(), static_cast<rapidjson::SizeType>(channel.size()));
  writer.EndObject();
  auto doc = post("/kick/", {buffer.GetString(), buffer.GetSize()});
  if (!doc.HasMember("ended") || !doc["ended"].IsUint64())
    throw SendError(base_url_ + "/kick/ did not say how many streams it ended; is it an eventstream server?", 1);
  return doc["ended"].GetUint64();
}

} // namespace es::client
