#include <gtest/gtest.h>

#include "config/duration.hpp"

using es::config::parse_duration;
using namespace std::chrono_literals;

TEST(Duration, Units) {
  EXPECT_EQ(parse_duration("90s"), 90s);
  EXPECT_EQ(parse_duration("15m"), 15min);
  EXPECT_EQ(parse_duration("24h"), 24h);
  EXPECT_EQ(parse_duration("7d"), 7 * 24h);
  EXPECT_EQ(parse_duration("3600"), 1h);
}

TEST(Duration, BadValuesSayWhatIsAccepted) {
  for (const char* bad : {"", "h", "0s", "-5m", "1w", "1.5h", "10 s", "99999999999999999999d"}) {
    try {
      parse_duration(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("90s, 15m, 24h, 7d"), std::string::npos);
    }
  }
}
