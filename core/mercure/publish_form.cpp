#include "mercure/publish_form.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "util/url.hpp"
#include "util/utf8.hpp"

namespace es::mercure {
namespace {

void check_text(std::string_view field, const std::string& value) {
  if (!valid_utf8(value)) throw BadPublish(std::string(field) + ": is not valid UTF-8");
  if (field != "data" && has_control_character(value))
    throw BadPublish(std::string(field) + ": holds a control character; ids, types and topics are one line of text");
}

bool unreserved(unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

// RFC 3986's normalization of a path: escaped unreserved characters decoded, then dot
// segments removed.
std::string normalized_path(std::string_view path) {
  std::string decoded;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && std::isxdigit(static_cast<unsigned char>(path[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(path[i + 2]))) {
      auto c = static_cast<unsigned char>(std::stoi(std::string(path.substr(i + 1, 2)), nullptr, 16));
      if (unreserved(c)) {
        decoded += static_cast<char>(c);
        i += 2;
        continue;
      }
    }
    decoded += path[i];
  }
  std::vector<std::string_view> segments;
  std::string_view rest = decoded;
  bool trailing = false;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    trailing = slash != std::string_view::npos && rest.empty();
    if (segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    if (!segment.empty() || !rest.empty() || trailing) segments.push_back(segment);
  }
  std::string out;
  for (auto segment : segments) {
    out += '/';
    out += segment;
  }
  return out.empty() ? "/" : out;
}

} // namespace

bool in_hub_namespace(std::string_view topic, std::string_view hub_path) {
  std::string_view path = topic;
  auto scheme_end = topic.find("://");
  if (scheme_end != std::string_view::npos && topic.find_first_of("/?#") > scheme_end) {
    auto authority_end = topic.find_first_of("/?#", scheme_end + 3);
    path = authority_end == std::string_view::npos ? std::string_view{} : topic.substr(authority_end);
  } else if (!topic.starts_with('/')) {
    // A relative reference without a leading slash resolves below the hub's own
    // directory, "/.well-known/": it names the hub when it starts with the hub's name.
    auto last = hub_path.rfind('/');
    std::string resolved = std::string(hub_path.substr(0, last + 1)) + std::string(topic);
    return in_hub_namespace(resolved, hub_path);
  }
  path = path.substr(0, path.find_first_of("?#"));
  auto normalized = normalized_path(path);
  auto hub = normalized_path(hub_path);
  return normalized == hub || normalized.starts_with(hub + "/");
}

Update read_publish_form(std::string_view body, std::string_view hub_path) {
  Update update;
  for (auto& [name, value] : parse_query(body)) {
    if (name == "topic") {
      if (update.topics.size() == max_publish_topics)
        throw PublishTooLarge("topic: more than " + std::to_string(max_publish_topics) + " topics in one update");
      check_text("topic", value);
      if (value.empty()) throw BadPublish("topic: is empty; a topic names what was updated, e.g. https://example.com/books/1");
      if (value == "*") throw BadPublish("topic: * is the wildcard selector and cannot be published to");
      if (in_hub_namespace(value, hub_path))
        throw BadPublish("topic: " + value + " is under " + std::string(hub_path) +
                         ", which is reserved for the hub's own updates");
      update.topics.push_back(std::move(value));
    } else if (name == "data") {
      check_text("data", value);
      update.data = std::move(value);
    } else if (name == "private") {
      update.is_private = true;
    } else if (name == "id") {
      check_text("id", value);
      if (value.starts_with('#')) throw BadPublish("id: must not start with #, which is kept for ids the hub makes");
      if (value == "earliest") throw BadPublish("id: earliest is reserved: it asks for the whole history");
      update.id = std::move(value);
    } else if (name == "type") {
      check_text("type", value);
      if (value == "mercure") throw BadPublish("type: mercure is reserved for the hub's subscription events");
      update.type = std::move(value);
    } else if (name == "retry") {
      std::uint64_t retry = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), retry);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size())
        throw BadPublish("retry: must be a number of milliseconds, digits only");
      update.retry = retry;
    }
  }
  if (update.topics.empty())
    throw BadPublish("topic: missing; give at least one topic=, e.g. topic=https://example.com/books/1");
  return update;
}

} // namespace es::mercure
