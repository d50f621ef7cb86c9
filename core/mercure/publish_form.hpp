#pragma once
// The body of a Mercure publish (docs/mercure.md): application/x-www-form-urlencoded
// topic (repeatable, the first canonical), data, private, id, type, retry; other fields
// are ignored, as the protocol asks. Values are checked as the 1.0 draft says, which
// 0.x publishers meet too.
#include <stdexcept>
#include <string_view>

#include "mercure/update.hpp"

namespace es::mercure {

// 400: the message names the field and what is wrong with it.
class BadPublish : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// 413: more topics than a publish may hold.
class PublishTooLarge : public BadPublish {
public:
  using BadPublish::BadPublish;
};

inline constexpr std::size_t max_publish_topics = 100;

// The update, its id empty when the publisher gave none. `hub_path` is the hub's path
// (--mercure-path): topics under it are the hub's own (subscription events) and refused.
Update read_publish_form(std::string_view body, std::string_view hub_path);

// Whether `topic`, resolved as a URL, names `hub_path` or something below it. Dot
// segments and escaped unreserved characters are resolved first, so that
// "/.well-known/%6Dercure/x" or "/a/../.well-known/mercure/x" do not slip past.
bool in_hub_namespace(std::string_view topic, std::string_view hub_path);

} // namespace es::mercure
