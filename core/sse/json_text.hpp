#pragma once
// JSON text written the way Python's json.dumps writes it by default: ", " and ": "
// separators and every non-ASCII or control character as a \uXXXX escape. Events then
// look byte for byte like django-eventstream's, and data is always a single line, which
// SSE framing needs.
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace es::sse {

std::string python_json(const rapidjson::Value& value);

// One JSON string literal, quotes included.
void append_python_json_string(std::string& out, std::string_view text);

} // namespace es::sse
