#pragma once
// ADDRPORT as Django's runserver takes it: PORT, HOST:PORT or [V6]:PORT.
#include <string>
#include <string_view>

namespace es::config {

struct AddrPort {
  std::string host;
  unsigned short port;
};

// Throws std::invalid_argument with a message that shows the accepted forms.
AddrPort parse_addrport(std::string_view text, std::string_view default_host = "127.0.0.1");

// HOST:PORT, or [IPV6]:PORT: what parse_addrport reads back.
std::string format_addrport(const AddrPort& where);

} // namespace es::config
