#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace es::config {

// "90s", "15m", "24h", "7d", or whole seconds ("3600"). Throws std::invalid_argument.
std::chrono::seconds parse_duration(std::string_view text);

// What parse_duration reads back (of a positive duration), in the largest of s, m and h that divides it: "24h",
// as a default is documented, not "1d".
std::string format_duration(std::chrono::seconds duration);

} // namespace es::config
