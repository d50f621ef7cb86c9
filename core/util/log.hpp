#pragma once
// One line per thing that matters, on stderr, written with a single write(2) so lines
// from different threads never interleave.
#include <string_view>

namespace es {

enum class LogLevel { error, warn, info, debug };

// Throws std::invalid_argument naming the accepted levels.
LogLevel parse_log_level(std::string_view text);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

} // namespace es
