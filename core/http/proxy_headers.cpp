#include "http/proxy_headers.hpp"

#include <array>

namespace es::http {

std::string_view proxy_header(const Request& req) {
  // Pushpin 1.36 adds Grip-Sig (even with an empty sig_key) and Grip-Feature to every
  // request it forwards, and X-Forwarded-For when its x_forwarded_for says so; nginx
  // adds what its proxy_set_header lines name; ngrok adds X-Forwarded-For and -Proto.
  static constexpr std::array<std::string_view, 9> names{
      "Grip-Sig",         "Grip-Feature",      "Forwarded",          "X-Forwarded-For", "X-Real-IP",
      "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Server", "Via"};
  for (auto name : names)
    if (req.find(name) != req.end()) return name;
  return {};
}

} // namespace es::http
