#include <gtest/gtest.h>

#include "config/addrport.hpp"

using es::config::parse_addrport;

TEST(AddrPort, FormsLikeRunserver) {
  EXPECT_EQ(parse_addrport("8000").host, "127.0.0.1");
  EXPECT_EQ(parse_addrport("8000").port, 8000);
  EXPECT_EQ(parse_addrport("0.0.0.0:9000").host, "0.0.0.0");
  EXPECT_EQ(parse_addrport("[::1]:8001").host, "::1");
  EXPECT_EQ(parse_addrport("[::1]:8001").port, 8001);
}

TEST(AddrPort, BadFormsSayWhatIsAccepted) {
  for (const char* bad : {"", "abc", "70000", "host:", "::1:80", "[::1]", "[]:80", ":80"}) {
    try {
      parse_addrport(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("PORT, HOST:PORT or [IPV6]:PORT"), std::string::npos);
    }
  }
}
