#include <gtest/gtest.h>

#include "auth/access.hpp"
#include "auth/jwt.hpp"

using namespace es::auth;

namespace {

Access access() { return Access(AccessSettings{"s3cret", "session", {"_*"}, std::chrono::seconds(5)}); }

User user_of(const Access& a, const std::string& payload) {
  auto identified = a.identify("Bearer " + sign_hs256(payload, "s3cret"), {}, "");
  EXPECT_TRUE(std::holds_alternative<User>(identified)) << std::get<std::string>(identified);
  return std::get<User>(identified);
}

} // namespace

TEST(Access, FarFutureExpiryMeansNoDeadline) {
  auto a = access();
  EXPECT_FALSE(a.stream_deadline(user_of(a, R"({"sub": "a", "exp": 9999999999})")));
  auto soon = a.stream_deadline(user_of(a, R"({"sub": "a", "exp": 4000000000})"));
  ASSERT_TRUE(soon);
  EXPECT_EQ(std::chrono::system_clock::to_time_t(*soon), 4000000005);
}

TEST(Access, PrivateChannelsAndClaims) {
  auto a = access();
  User anonymous;
  EXPECT_TRUE(a.may_read(anonymous, "news"));
  EXPECT_FALSE(a.may_read(anonymous, "_x"));
  EXPECT_TRUE(a.may_read(user_of(a, R"({"sub": "a"})"), "_x"));
  auto narrowed = user_of(a, R"({"sub": "a", "channels": ["room-*"]})");
  EXPECT_TRUE(a.may_read(narrowed, "room-1"));
  EXPECT_FALSE(a.may_read(narrowed, "news"));
}

TEST(Access, EmptyBearerFallsBackToQueryToken) {
  auto a = access();
  auto token = sign_hs256(R"({"sub": "q"})", "s3cret");
  auto identified = a.identify("Bearer ", {{"token", token}}, "");
  ASSERT_TRUE(std::holds_alternative<User>(identified));
  EXPECT_EQ(std::get<User>(identified).id, "q");
}

TEST(Access, TheNameOfUsersWithoutATokenIsReserved) {
  auto a = access();
  auto identified = a.identify("Bearer " + sign_hs256(R"({"sub": "anonymous"})", "s3cret"), {}, "");
  ASSERT_TRUE(std::holds_alternative<std::string>(identified));
  EXPECT_EQ(std::get<std::string>(identified), "the user id \"anonymous\" is reserved for users without a token");
}
