#pragma once
// What the readers of publish items (publish_request.cpp, grip_items.cpp) share: a
// refusal that names the field, and a JSON string's text.
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "publish/publish_request.hpp"

namespace es::publish {

[[noreturn]] inline void fail(const std::string& field, std::string_view problem) {
  throw BadPublishRequest(field + ": " + std::string(problem));
}

// `v` must be a string.
inline std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

} // namespace es::publish
