#include "sse/event_id.hpp"

#include <charconv>

#include "util/url.hpp"

namespace es::sse {

void append_position_pair(std::string& out, std::string_view encoded_channel, std::uint64_t id) {
  out += encoded_channel;
  out += ':';
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, id).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

std::string format_position(const Position& position) {
  std::string out;
  for (const auto& [channel, id] : position) {
    if (!out.empty()) out.push_back(',');
    append_position_pair(out, percent_encode(channel), id);
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
