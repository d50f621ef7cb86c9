#pragma once
// One line per thing that matters, on stderr or the --log-file, written with a single
// write(2) so lines from different threads never interleave.
//
// Messages carry what clients, tokens and publishers chose (users, channels, paths,
// user agents, error texts), so log() escapes every control character and backslash in
// them: no value can end a line early or forge one that looks like ours. Bytes of 0x80
// and above pass as they are, so UTF-8 (valid or not) stays readable.
#include <atomic>
#include <chrono>
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

// The line log() writes, newline included: a UTC time stamp, the level, and `message` with
// `\\`, `\n`, `\r`, `\t` and `\xNN` (other C0 controls and DEL) for what would break it.
std::string log_line(LogLevel level, std::string_view message, std::chrono::system_clock::time_point now);

// For what clients cause: logs at most once a minute per `last` (a static of the caller,
// zero at first), saying that more of the same that minute is not logged.
void log_once_a_minute(std::atomic<std::int64_t>& last, LogLevel level, std::string_view message);

// --log-file: lines go to `path` (appended, created if missing) instead of standard error.
// Throws std::runtime_error when it cannot be opened.
void set_log_file(const std::string& path);
// SIGHUP: opens the --log-file path afresh (after logrotate moved the old file away).
// Returns what went wrong, or "".
std::string reopen_log_file();

} // namespace es
