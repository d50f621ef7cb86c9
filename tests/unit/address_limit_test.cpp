#include <gtest/gtest.h>

#include "http/address_limit.hpp"

using es::http::AddressLimit;
using boost::asio::ip::make_address;

TEST(AddressLimit, OneHostsAddressesCountTogether) {
  auto key = [](const char* address) { return AddressLimit::key(make_address(address)); };
  EXPECT_EQ(key("192.0.2.7"), key("::ffff:192.0.2.7")); // IPv4-mapped is the IPv4 client
  EXPECT_NE(key("192.0.2.7"), key("192.0.2.8"));
  EXPECT_EQ(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9")); // one /64
  EXPECT_NE(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
}

TEST(AddressLimit, AdmitsUpToTheLimitPerAddress) {
  AddressLimit limit(2);
  EXPECT_TRUE(limit.admit("a"));
  EXPECT_TRUE(limit.admit("a"));
  EXPECT_FALSE(limit.admit("a"));
  EXPECT_TRUE(limit.admit("b"));
  limit.release("a");
  EXPECT_TRUE(limit.admit("a"));
  EXPECT_FALSE(limit.admit("a"));
}
