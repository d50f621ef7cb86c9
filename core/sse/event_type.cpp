#include "sse/event_type.hpp"

#include <algorithm>
#include <cstdio>

namespace es::sse {

std::string event_type_problem(std::string_view type) {
  if (type.size() > max_event_type_length)
    return "is " + std::to_string(type.size()) + " bytes long; the most is " + std::to_string(max_event_type_length) +
           " (a type is a name: put the payload in data)";
  for (unsigned char c : type) {
    if (c >= 0x20 && c != 0x7f) continue;
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", c);
    return std::string("has the control character ") + code + "; an event type is a name, in text";
  }
  if (std::find(reserved_event_types.begin(), reserved_event_types.end(), type) != reserved_event_types.end()) {
    std::string names;
    for (std::size_t i = 0; i < reserved_event_types.size(); ++i)
      names += std::string(i == 0 ? "" : i + 1 == reserved_event_types.size() ? " and " : ", ") +
               std::string(reserved_event_types[i]);
    return "'" + std::string(type) + "' is reserved: the server itself sends " + names + "; choose another type";
  }
  return {};
}

} // namespace es::sse
