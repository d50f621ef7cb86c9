#include "config/addrport.hpp"

#include <charconv>
#include <stdexcept>

namespace es::config {
namespace {

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw std::invalid_argument("'" + std::string(text) + "' " + std::string(why) +
                              "; use PORT, HOST:PORT or [IPV6]:PORT, e.g. 8000, 0.0.0.0:8000 or [::1]:8000");
}

unsigned short parse_port(std::string_view whole, std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    fail(whole, "has no valid port (0-65535)");
  return static_cast<unsigned short>(value);
}

} // namespace

AddrPort parse_addrport(std::string_view text, std::string_view default_host) {
  if (text.empty()) fail(text, "is empty");
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      fail(text, "is not [IPV6]:PORT");
    std::string host(text.substr(1, close - 1));
    if (host.empty()) fail(text, "has an empty address");
    return {host, parse_port(text, text.substr(close + 2))};
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return {std::string(default_host), parse_port(text, text)};
  if (text.find(':') != colon) fail(text, "looks like IPv6 without brackets");
  if (colon == 0) fail(text, "has an empty host");
  return {std::string(text.substr(0, colon)), parse_port(text, text.substr(colon + 1))};
}

std::string format_addrport(const AddrPort& where) {
  bool v6 = where.host.find(':') != std::string::npos;
  return (v6 ? "[" + where.host + "]" : where.host) + ":" + std::to_string(where.port);
}

} // namespace es::config
