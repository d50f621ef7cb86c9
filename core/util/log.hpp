#pragma once
// One line per thing that matters, on stderr or the --log-file, written with a single
// write(2) so lines from different threads never interleave.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace es {

enum class LogLevel { error, warn, info, debug };

// Throws std::invalid_argument naming the accepted levels.
LogLevel parse_log_level(std::string_view text);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

// For what clients cause: logs at most once a minute per `last` (a static of the caller),
// saying that more of the same that minute is not logged.
void log_once_a_minute(std::atomic<std::int64_t>& last, LogLevel level, std::string_view message);

// --log-file: lines go to `path` (appended, created if missing) instead of standard error.
// Throws std::runtime_error when it cannot be opened.
void set_log_file(const std::string& path);
// SIGHUP: opens the --log-file path afresh (after logrotate moved the old file away).
// Returns what went wrong, or "".
std::string reopen_log_file();

} // namespace es
