#include <gtest/gtest.h>

#include "util/log.hpp"

using namespace es;

namespace {

// What follows "<time stamp> <level> " on the line for `message`.
std::string logged(std::string_view message) {
  auto line = log_line(LogLevel::warn, message, std::chrono::system_clock::time_point{});
  const std::string head = "1970-01-01T00:00:00.000Z warn ";
  EXPECT_EQ(line.rfind(head, 0), 0u) << line;
  EXPECT_EQ(line.back(), '\n');
  return line.substr(head.size(), line.size() - head.size() - 1);
}

} // namespace

TEST(Log, PlainMessagesAreWrittenAsGiven) {
  EXPECT_EQ(logged("kicked alice from 'news' (café)"), "kicked alice from 'news' (café)");
  EXPECT_EQ(logged(""), "");
}

TEST(Log, ANewlineInAValueCannotStartAForgedLine) {
  auto line = log_line(LogLevel::info, "kicked user 'mallory\n2024-01-01T00:00:00.000Z info admin logged in'",
                       std::chrono::system_clock::now());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("'mallory\\n2024-01-01T"), std::string::npos) << line;
}

TEST(Log, ControlCharactersAndBackslashesAreEscaped) {
  EXPECT_EQ(logged("a\rb\tc"), "a\\rb\\tc");
  EXPECT_EQ(logged(std::string_view("nul\0here", 8)), "nul\\x00here");
  EXPECT_EQ(logged("\x1b[31mred\x7f"), "\\x1b[31mred\\x7f");
  // A backslash a client typed cannot pass for one of our escapes.
  EXPECT_EQ(logged("user 'a\\nb'"), "user 'a\\\\nb'");
}

TEST(Log, BytesAboveAsciiPassAsTheyAre) {
  EXPECT_EQ(logged("\xff\xfe \xc3\xa9 \xe2\x80\xa6 \xc2\xa0"), "\xff\xfe \xc3\xa9 \xe2\x80\xa6 \xc2\xa0");
  EXPECT_EQ(logged("cut \xc2"), "cut \xc2");
}

// What Python's splitlines() and some terminals take as line breaks or controls.
TEST(Log, UnicodeLineBreaksAndC1ControlsAreEscaped) {
  EXPECT_EQ(logged("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), "a\\u2028b\\u2029c");
  EXPECT_EQ(logged("nel\xc2\x85" "csi\xc2\x9b" "31m"), "nel\\u0085csi\\u009b31m");
}

// Counted from the line logged, not by calendar minute: a burst at hh:mm:59 logs once.
TEST(Log, ABurstIsLoggedOnce) {
  std::atomic<std::int64_t> last{0};
  testing::internal::CaptureStderr();
  for (int i = 0; i < 100; ++i) log_once_a_minute(last, LogLevel::error, "accept failed");
  auto written = testing::internal::GetCapturedStderr();
  std::size_t lines = 0;
  for (auto at = written.find("accept failed"); at != std::string::npos; at = written.find("accept failed", at + 1)) ++lines;
  EXPECT_EQ(lines, 1u) << written;
}
