#include "config/duration.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace es::config {

std::chrono::seconds parse_duration(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::uint64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (end == text.data() || ec != std::errc{} || scale == 0 || value == 0 || value > (1ull << 40) / scale)
    throw std::invalid_argument("'" + std::string(text) +
                                "' is not a duration; use a positive number with s, m, h or d, e.g. 90s, 15m, 24h, 7d");
  return std::chrono::seconds(value * scale);
}

std::string format_duration(std::chrono::seconds duration) {
  auto seconds = duration.count();
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

} // namespace es::config
