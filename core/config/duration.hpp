#pragma once
#include <chrono>
#include <string_view>

namespace es::config {

// "90s", "15m", "24h", "7d", or whole seconds ("3600"). Throws std::invalid_argument.
std::chrono::seconds parse_duration(std::string_view text);

} // namespace es::config
