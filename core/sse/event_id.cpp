#include "sse/event_id.hpp"

#include <charconv>

#include "util/url.hpp"

namespace es::sse {

std::string format_position(const Position& position) {
  std::string out;
  for (const auto& [channel, id] : position) {
    if (!out.empty()) out.push_back(',');
    out += percent_encode(channel);
    out.push_back(':');
    out += std::to_string(id);
  }
  return out;
}

LastId parse_last_id(std::string_view text) {
  if (text.empty()) return NoLastId{};
  if (text == "error") return AfterStreamError{};
  Position position;
  while (true) {
    auto comma = text.find(',');
    std::string_view pair = text.substr(0, comma);
    // Channel names are percent-encoded, so the last ':' separates the number.
    auto colon = pair.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return BadLastId{"'" + std::string(pair) + "' is not CHANNEL:ID"};
    std::string_view number = pair.substr(colon + 1);
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), id);
    if (number.empty() || ec != std::errc{} || end != number.data() + number.size())
      return BadLastId{"'" + std::string(number) + "' is not a whole number"};
    position.emplace_back(percent_decode(pair.substr(0, colon)), id);
    if (comma == std::string_view::npos) return position;
    text = text.substr(comma + 1);
  }
}

} // namespace es::sse
