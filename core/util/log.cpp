#include "util/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>

namespace es {
namespace {

std::atomic<LogLevel> current_level{LogLevel::info};

// Lines go to this descriptor. A reopened log file is dup2'ed onto it, so a writer never
// sees it closed.
std::atomic<int> log_fd{STDERR_FILENO};
std::mutex log_file_mutex;
std::string log_path;

// 0600: the log names private channels, users and addresses. The mode only applies to a
// file we create; one the operator made keeps the mode they gave it.
int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

// Bytes that are, or may start, what a reader takes as a line break or a terminal
// control: C0 and DEL, and in UTF-8 the C1 controls (NEL among them, C2 80 to C2 9F)
// and the line and paragraph separators (E2 80 A8, E2 80 A9).
bool may_need_escape(unsigned char c) { return c < 0x20 || c == 0x7f || c == '\\' || c == 0xc2 || c == 0xe2; }

// How many bytes at `at` are a UTF-8 C1 control or line separator: 0, 2 or 3.
std::size_t unicode_break(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return at + i < text.size() ? static_cast<unsigned char>(text[at + i]) : 0; };
  if (byte(0) == 0xc2 && byte(1) >= 0x80 && byte(1) <= 0x9f) return 2;
  if (byte(0) == 0xe2 && byte(1) == 0x80 && (byte(2) == 0xa8 || byte(2) == 0xa9)) return 3;
  return 0;
}

void append_escaped(std::string& line, std::string_view text) {
  // Most messages have nothing to escape: find the first byte that may before copying byte by byte.
  auto first = static_cast<std::size_t>(
      std::find_if(text.begin(), text.end(), [](char c) { return may_need_escape(static_cast<unsigned char>(c)); }) -
      text.begin());
  line.append(text.substr(0, first));
  static constexpr char digits[] = "0123456789abcdef";
  for (std::size_t i = first; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (auto n = unicode_break(text, i)) {
      // The code point, as \u0085 or \u2028.
      unsigned last = static_cast<unsigned char>(text[i + n - 1]);
      unsigned code = n == 2 ? last : 0x2000 | (last & 0x3f);
      line += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) line.push_back(digits[(code >> shift) & 15]);
      i += n - 1;
      continue;
    }
    if (c >= 0x20 && c != 0x7f && c != '\\') {
      line.push_back(static_cast<char>(c));
      continue;
    }
    line.push_back('\\');
    switch (c) {
    case '\\': line.push_back('\\'); break;
    case '\n': line.push_back('n'); break;
    case '\r': line.push_back('r'); break;
    case '\t': line.push_back('t'); break;
    default:
      line.push_back('x');
      line.push_back(digits[c >> 4]);
      line.push_back(digits[c & 15]);
    }
  }
}

constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};

} // namespace

LogLevel parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < std::size(level_names); ++i)
    if (text == level_names[i]) return static_cast<LogLevel>(i);
  throw std::invalid_argument("unknown log level '" + std::string(text) + "'; use error, warn, info or debug");
}

void set_log_level(LogLevel level) { current_level = level; }

bool log_enabled(LogLevel level) { return level <= current_level.load(std::memory_order_relaxed); }

std::string log_line(LogLevel level, std::string_view message, std::chrono::system_clock::time_point now) {
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
  append_escaped(line, message);
  line += '\n';
  return line;
}

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  auto line = log_line(level, message, std::chrono::system_clock::now());
  // A failed log write has nowhere better to be reported.
  [[maybe_unused]] auto written = ::write(log_fd.load(std::memory_order_relaxed), line.data(), line.size());
}

void log_once_a_minute(std::atomic<std::int64_t>& last, LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  // A minute since the last line, not a new calendar minute: a burst across hh:mm:59
  // would otherwise log twice within a second. Shifted by a minute, no time is the 0
  // that means "never logged".
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch()).count() + 60'000;
  auto previous = last.load(std::memory_order_relaxed);
  if (previous && now - previous < 60'000) return;
  if (last.compare_exchange_strong(previous, now, std::memory_order_relaxed))
    log(level, std::string(message) + " (more of these this minute are not logged)");
}

void set_log_file(const std::string& path) {
  std::lock_guard lock(log_file_mutex);
  int fd = open_log(path);
  if (fd < 0)
    throw std::runtime_error("cannot open --log-file " + path + ": " + std::strerror(errno) +
                             "; check that its directory exists and is writable");
  log_path = path;
  log_fd = fd;
}

std::string reopen_log_file() {
  std::lock_guard lock(log_file_mutex);
  if (log_path.empty()) return "";
  int fd = open_log(log_path);
  if (fd < 0) return "cannot reopen --log-file " + log_path + ": " + std::strerror(errno) + "; still writing to the old file";
  ::dup2(fd, log_fd.load());
  ::close(fd);
  return "";
}

} // namespace es
