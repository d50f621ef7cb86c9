#pragma once
// The files of core/web/, compiled into the binary by embed.cmake.
#include <string_view>

namespace es::web {

extern const std::string_view client_js;   // served at /static/eventstream.js
extern const std::string_view viewer_html; // a browser opening a stream URL gets this page

} // namespace es::web
