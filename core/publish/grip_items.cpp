#include "publish/grip_items.hpp"

#include "publish/item_fields.hpp"
#include "sse/decoder.hpp"
#include "sse/event_type.hpp"
#include "util/base64.hpp"
#include "util/trim.hpp"
#include "util/url.hpp"

namespace es::publish {
namespace {

using namespace std::literals;

// Users skipped by the events of one item, counted once per event.
constexpr std::size_t max_skip_user_copies = 1000000;

// What django-eventstream names a user's own channel, which only its kicks use.
constexpr std::string_view user_channel_prefix = "user-";

std::string string_field(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsString()) fail(field, "must be a string");
  return std::string(text_of(value));
}

struct Meta {
  std::vector<std::string> skip_users;
  std::string require_sub;
};

Meta read_meta(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsObject()) fail(field, "must be an object of strings");
  Meta meta;
  for (const auto& member : value.GetObject()) {
    std::string name(text_of(member.name));
    std::string text = string_field(member.value, field + "." + name);
    if (name == "skip_users") {
      std::string_view rest = text;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        auto user = trim_ows(rest.substr(0, comma));
        if (!user.empty()) meta.skip_users.emplace_back(user);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    } else if (name == "require_sub") {
      meta.require_sub = std::move(text);
    }
    // Other meta (sender, id_encoding, ...) steers a proxy's filters eventstream does not have.
  }
  return meta;
}

// The content a build-id publisher wrote for the proxy to fill in: `%%` is a percent
// sign and `%I` (or `%(text)I`) the stream's id, which only the `id:` line uses and
// eventstream numbers itself.
std::string fill_build_id(std::string_view content, const std::string& field) {
  std::string out;
  out.reserve(content.size());
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] != '%') {
      out += content[i];
      continue;
    }
    char next = i + 1 < content.size() ? content[i + 1] : '\0';
    if (next == '%') {
      out += '%';
      ++i;
    } else if (next == 'I') {
      ++i;
    } else if (next == '(') {
      std::size_t j = i + 2;
      std::string argument;
      for (; j < content.size() && content[j] != ')'; ++j) {
        if (content[j] == '\\' && j + 1 < content.size()) ++j; // an escaped character
        argument += content[j];
      }
      if (j + 1 >= content.size() || content[j + 1] != 'I')
        fail(field, "has a '%(' that is not a build-id directive %(text)I; write %% for a percent sign");
      out += argument;
      i = j + 1;
    } else {
      fail(field, "has a '%' that is not a build-id directive (%I, %(text)I); with the build-id content filter "
                  "write %% for a percent sign");
    }
  }
  return out;
}

struct StreamFormat {
  std::string content;
  bool has_content = false;
  bool build_id = false;
  std::string action;
};

StreamFormat read_stream_format(const rapidjson::Value& value, const std::string& field) {
  if (!value.IsObject()) fail(field, "must be an object: {\"content\": \"event: ...\\ndata: ...\\n\\n\"}");
  StreamFormat format;
  for (const auto& member : value.GetObject()) {
    std::string_view name = text_of(member.name);
    std::string path = field + "." + std::string(name);
    if (name == "content" || name == "content-bin") {
      if (format.has_content) fail(path, "the item has content already (give content or content-bin, not both)");
      format.content = string_field(member.value, path);
      format.has_content = true;
      if (name == "content-bin") {
        auto bytes = base64_decode(format.content);
        if (!bytes) fail(path, "is not valid base64");
        format.content = std::move(*bytes);
      }
    } else if (name == "content-filters") {
      if (!member.value.IsArray()) fail(path, "must be an array of filter names");
      for (const auto& filter : member.value.GetArray()) {
        std::string filter_name = string_field(filter, path);
        if (filter_name != "build-id")
          fail(path, "'" + filter_name + "' is a filter eventstream does not apply (it takes only build-id)");
        format.build_id = true;
      }
    } else if (name == "action") {
      format.action = string_field(member.value, path);
    } else {
      fail(path, "unknown field (http-stream has content, content-bin, content-filters and action)");
    }
  }
  return format;
}

// The events of SSE text, as a browser would read them from the proxy.
void read_events(std::string_view content, const std::string& channel, const Meta& meta, const std::string& field,
                 std::size_t max_events, PublishRequest& request) {
  sse::Decoder decoder;
  std::size_t found = 0;
  std::string problem;
  auto take = [&](const sse::ReceivedEvent& event) {
    if (problem = sse::event_type_problem(event.type); !problem.empty()) return false;
    // Each event holds its own copy of the item's skip_users: bounded before it is made.
    if ((found + 1) * meta.skip_users.size() > max_skip_user_copies)
      throw PublishTooLarge(field + ": " + std::to_string(found + 1) + " events each skipping " +
                            std::to_string(meta.skip_users.size()) + " users; the most is " +
                            std::to_string(max_skip_user_copies) + " skipped users in all: send several requests");
    request.items.push_back({channel, event.type, event.data, meta.skip_users});
    check_size(request, max_events);
    ++found;
    return true;
  };
  // The end of the content ends its last event, as the end of a published message does.
  if (!decoder.feed(content, take) || !decoder.feed("\n\n", take)) fail(field, "event type: " + problem);
  if (found == 0)
    fail(field, "holds no event with data (write \"event: TYPE\\ndata: DATA\\n\\n\"; browsers drop events without "
                "a data line)");
}

} // namespace

bool is_grip_item(const rapidjson::Value& object) {
  if (!object.IsObject()) return false;
  for (auto name : {"formats", "http-stream", "http-response", "ws-message"})
    if (object.HasMember(name)) return true;
  return false;
}

std::string channel_of_grip(std::string_view name, std::string_view grip_prefix) {
  if (grip_prefix.empty() || !name.starts_with(grip_prefix)) return std::string(name);
  return percent_decode(name.substr(grip_prefix.size()));
}

void read_grip_item(const rapidjson::Value& object, const std::string& prefix, std::string_view grip_prefix,
                    std::size_t max_events, PublishRequest& request) {
  std::string channel;
  Meta meta;
  const rapidjson::Value* stream = nullptr;
  std::string stream_field, other_formats;
  auto take_format = [&](std::string_view name, const rapidjson::Value& value, const std::string& field) {
    if (name != "http-stream") {
      other_formats += (other_formats.empty() ? "" : ", ") + std::string(name);
      return;
    }
    if (stream) fail(field, "the item has http-stream already (at the top or in formats, not both)");
    stream = &value;
    stream_field = field;
  };
  for (const auto& member : object.GetObject()) {
    std::string_view name = text_of(member.name);
    const rapidjson::Value& value = member.value;
    std::string field = prefix + std::string(name);
    if (name == "channel") {
      channel = string_field(value, field);
      if (channel.empty()) fail(field, "must be a non-empty string");
    } else if (name == "id" || name == "prev-id") {
      string_field(value, field); // eventstream numbers the events itself
    } else if (name == "no-seq") {
      if (!value.IsBool()) fail(field, "must be true or false");
    } else if (name == "meta") {
      meta = read_meta(value, field);
    } else if (name == "formats") {
      if (!value.IsObject()) fail(field, "must be an object: {\"http-stream\": {...}}");
      for (const auto& format : value.GetObject())
        take_format(text_of(format.name), format.value, field + "." + std::string(text_of(format.name)));
    } else if (name == "http-stream" || name == "http-response" || name == "ws-message") {
      take_format(name, value, field);
    } else {
      fail(field, "unknown field (a GRIP item has channel, id, prev-id, no-seq, meta and its formats)");
    }
  }
  std::string item = prefix.substr(0, prefix.size() - 1);
  if (channel.empty()) fail(prefix + "channel", "is required");
  if (!stream) {
    if (!other_formats.empty())
      fail(item, "has only the format(s) " + other_formats +
                     ", which eventstream does not serve; it serves http-stream (Server-Sent Events): publish that");
    fail(item, "no formats specified (give \"http-stream\": {\"content\": ...})");
  }
  StreamFormat format = read_stream_format(*stream, stream_field);
  bool users_own = channel.starts_with(user_channel_prefix) && !meta.require_sub.empty();

  if (format.action == "close") {
    // channel_permission_changed(): the user's streams that include require_sub end.
    if (!users_own)
      fail(stream_field + ".action", "eventstream closes streams only as a kick: on the channel user-ID with "
                                     "meta require_sub naming the channel (what channel_permission_changed() "
                                     "sends); or POST /kick/ {\"user\", \"channel\"}");
    std::string user = channel.substr(user_channel_prefix.size());
    if (user.empty()) fail(prefix + "channel", "names no user after user- (user-anonymous: users without a token)");
    if (user == "anonymous") user.clear();
    for (unsigned char c : user)
      if (c < 0x20 || c == 0x7f) fail(prefix + "channel", "the user id after user- has a control character");
    Kick kick{std::move(user), channel_of_grip(meta.require_sub, grip_prefix)};
    for (const auto& known : request.kicks)
      if (known.user == kick.user && known.channel == kick.channel) return;
    request.kicks.push_back(std::move(kick));
    check_size(request, max_events);
    return;
  }
  if (!format.action.empty() && format.action != "send")
    fail(stream_field + ".action", "'" + format.action + "' is not an action eventstream takes (it takes send and "
                                   "close; a hint asks the proxy to fetch from the origin, and eventstream is the "
                                   "origin: publish the content)");
  if (!format.has_content) fail(stream_field + ".content", "is required (or content-bin, or \"action\": \"close\")");
  // The forbidden stream-error that goes before a close: the kick sends its own.
  if (users_own) return;
  std::string content = format.build_id ? fill_build_id(format.content, stream_field + ".content") : format.content;
  read_events(content, channel_of_grip(channel, grip_prefix), meta, stream_field + ".content", max_events, request);
}

} // namespace es::publish
