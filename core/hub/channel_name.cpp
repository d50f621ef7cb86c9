#include "hub/channel_name.hpp"

#include <cstdio>

namespace es::hub {

std::string channel_name_problem(std::string_view name, std::size_t max_length) {
  if (name.empty()) return "a channel name is empty";
  if (name.size() > max_length)
    return "the channel name is " + std::to_string(name.size()) + " bytes long; the most is " +
           std::to_string(max_length) + " (--max-channel-length)";
  for (unsigned char c : name) {
    if (c >= 0x20 && c != 0x7f) continue;
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", c);
    return std::string("the channel name has the control character ") + code + "; channel names are text";
  }
  return {};
}

} // namespace es::hub
