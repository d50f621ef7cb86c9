#include "util/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>

namespace es {
namespace {

std::atomic<LogLevel> current_level{LogLevel::info};

constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};

} // namespace

LogLevel parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < std::size(level_names); ++i)
    if (text == level_names[i]) return static_cast<LogLevel>(i);
  throw std::invalid_argument("unknown log level '" + std::string(text) + "'; use error, warn, info or debug");
}

void set_log_level(LogLevel level) { current_level = level; }

bool log_enabled(LogLevel level) { return level <= current_level.load(std::memory_order_relaxed); }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line(stamp, n);
  line += "." + std::string(millis < 100 ? (millis < 10 ? "00" : "0") : "") + std::to_string(millis) + "Z ";
  line += level_names[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  // A failed log write has nowhere better to be reported.
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

} // namespace es
