#include <gtest/gtest.h>

#include "auth/jwt.hpp"

using namespace es::auth;

namespace {

constexpr std::int64_t now = 1'800'000'000;

std::string error_of(const std::string& token, std::string_view secret = "s3cret") {
  try {
    verify_hs256(token, secret, now, 5);
  } catch (const TokenError& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST(Jwt, RoundTripWithClaims) {
  auto token = sign_hs256(R"({"sub": "alice", "exp": 1800000100, "channels": ["room-*", "_alice"]})", "s3cret");
  auto claims = verify_hs256(token, "s3cret", now, 5);
  EXPECT_EQ(claims.subject, "alice");
  EXPECT_EQ(claims.expires, 1800000100);
  ASSERT_TRUE(claims.channel_globs);
  EXPECT_EQ(*claims.channel_globs, (std::vector<std::string>{"room-*", "_alice"}));
}

TEST(Jwt, RefusalsSayWhy) {
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a"})", "other")), "the token's signature is wrong");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "exp": 1799999990})", "s3cret")), "the token has expired");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "exp": 1799999996})", "s3cret")), "accepted"); // within the leeway
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "nbf": 1800000010})", "s3cret")), "the token is not valid yet");
  EXPECT_EQ(error_of(sign_hs256(R"({"exp": 1900000000})", "s3cret")), "the token has no \"sub\" (user id)");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a"})", "s3cret", R"({"alg":"none"})")), "the token is not signed with HS256");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a"})", "s3cret", R"({"alg":"RS256"})")), "the token is not signed with HS256");
  EXPECT_EQ(error_of("not-a-token"), "the token is not a JWT (header.payload.signature)");
  EXPECT_EQ(error_of("a.b.c.d"), "the token is not a JWT (header.payload.signature)");
  EXPECT_EQ(error_of("!!.e30.x"), "the token's header is not base64url");
}

TEST(Jwt, UnsignedTokenIsRefused) {
  auto token = sign_hs256(R"({"sub": "a"})", "s3cret", R"({"alg":"none"})");
  token = token.substr(0, token.rfind('.') + 1); // alg none: empty signature
  EXPECT_EQ(error_of(token), "the token is not signed with HS256");
}

TEST(Jwt, PaddingIsToleratedAndTimesMustBeSane) {
  // A 32-byte HMAC is 43 base64url characters, which a padding issuer ends with '='.
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a"})", "s3cret") + "="), "accepted");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "exp": 1e20})", "s3cret")), "the token's \"exp\" is not a time in seconds");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "exp": "soon"})", "s3cret")), "the token's \"exp\" is not a time in seconds");
}

// The header is parsed before the signature is checked, so anyone can send one.
TEST(Jwt, DeepNestingIsRefusedLikeAnyBadJson) {
  std::string deep(1000000, '[');
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a"})", "s3cret", deep)),
            "the token's header is nested deeper than 256 levels at byte 256");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a", "x": )" + deep + "}", "s3cret")),
            "the token's payload is nested deeper than 256 levels at byte 273");
  EXPECT_EQ(error_of(sign_hs256(R"({"sub": "a",})", "s3cret")),
            "the token's payload is not valid JSON (Missing a name for object member. at byte 12)");
  EXPECT_EQ(error_of(sign_hs256("[]", "s3cret")), "the token's payload is not a JSON object");
}
