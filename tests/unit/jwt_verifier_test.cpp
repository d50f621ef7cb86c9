#include <gtest/gtest.h>

#include <stdexcept>

#include "auth/jwt.hpp"
#include "auth/jwt_verifier.hpp"
#include "support/certificates.hpp"
#include "support/jwt_signing.hpp"
#include "support/temp_dir.hpp"

using namespace es::auth;
using es::test::sign_jwt;

namespace {

constexpr std::int64_t now = 1'800'000'000;
constexpr std::string_view claims = R"({"mercure": {"subscribe": ["*"]}, "exp": 1800000100})";

const es::test::KeyPair& rsa() {
  static const auto key = es::test::make_rsa_key();
  return key;
}

const es::test::KeyPair& ec() {
  static const auto key = es::test::make_ec_p256_key();
  return key;
}

std::string error_of(const JwtVerifier& verifier, const std::string& token, std::int64_t leeway = 0) {
  try {
    verifier.verify(token, now, leeway);
  } catch (const TokenError& e) {
    return e.what();
  }
  return "accepted";
}

std::string key_error(JwtAlgorithm algorithm, std::string key) {
  try {
    JwtVerifier verifier(algorithm, std::move(key));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

} // namespace

TEST(JwtVerifier, AlgorithmNamesAreJwsNames) {
  EXPECT_EQ(parse_jwt_algorithm("HS256"), JwtAlgorithm::hs256);
  EXPECT_EQ(parse_jwt_algorithm("ES512"), JwtAlgorithm::es512);
  EXPECT_EQ(parse_jwt_algorithm("RS384"), JwtAlgorithm::rs384);
  EXPECT_EQ(parse_jwt_algorithm("hs256"), std::nullopt);
  EXPECT_EQ(parse_jwt_algorithm("none"), std::nullopt);
  EXPECT_EQ(parse_jwt_algorithm("PS256"), std::nullopt);
}

TEST(JwtVerifier, HmacTokensOfEachSize) {
  for (auto [name, algorithm] : {std::pair{"HS256", JwtAlgorithm::hs256}, std::pair{"HS384", JwtAlgorithm::hs384},
                                 std::pair{"HS512", JwtAlgorithm::hs512}}) {
    JwtVerifier verifier(algorithm, "!ChangeThisMercureHubJWTSecretKey!");
    auto payload = verifier.verify(sign_jwt(name, "!ChangeThisMercureHubJWTSecretKey!", claims), now, 0);
    EXPECT_TRUE(payload["mercure"]["subscribe"][0] == "*") << name;
    EXPECT_EQ(error_of(verifier, sign_jwt(name, "another secret", claims)), "the token's signature is wrong") << name;
  }
  // HS384 signed, HS256 configured: the header's alg is not the configured one.
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::hs256, "s"), sign_jwt("HS384", "s", claims)),
            "the token is not signed with HS256");
}

TEST(JwtVerifier, RsaAndEcTokens) {
  JwtVerifier rs256(JwtAlgorithm::rs256, rsa().public_pem);
  EXPECT_EQ(error_of(rs256, sign_jwt("RS256", rsa().private_pem, claims)), "accepted");
  EXPECT_EQ(error_of(rs256, sign_jwt("RS256", es::test::make_rsa_key().private_pem, claims)),
            "the token's signature is wrong");
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::rs512, rsa().public_pem), sign_jwt("RS512", rsa().private_pem, claims)),
            "accepted");

  JwtVerifier es256(JwtAlgorithm::es256, ec().public_pem);
  EXPECT_EQ(error_of(es256, sign_jwt("ES256", ec().private_pem, claims)), "accepted");
  EXPECT_EQ(error_of(es256, sign_jwt("ES256", es::test::make_ec_p256_key().private_pem, claims)),
            "the token's signature is wrong");
  auto p521 = es::test::make_ec_key("P-521");
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::es512, p521.public_pem), sign_jwt("ES512", p521.private_pem, claims)),
            "accepted");
}

// A hub may be given its issuer's certificate rather than the bare public key.
TEST(JwtVerifier, KeyFromCertificate) {
  es::test::TempDir dir;
  auto files = es::test::make_certificate(dir, "issuer");
  JwtVerifier es256(JwtAlgorithm::es256, es::test::read_file(files.cert));
  EXPECT_EQ(error_of(es256, sign_jwt("ES256", es::test::read_file(files.key), claims)), "accepted");
}

TEST(JwtVerifier, EcSignatureMustBeRawRAndS) {
  JwtVerifier es256(JwtAlgorithm::es256, ec().public_pem);
  auto token = sign_jwt("ES256", ec().private_pem, claims);
  // 64 bytes are 86 base64url characters; one fewer byte is not a JWS ECDSA signature.
  auto dot = token.rfind('.');
  ASSERT_EQ(token.size() - dot - 1, 86u);
  EXPECT_EQ(error_of(es256, token.substr(0, token.size() - 3)), "the token's signature is wrong");
  std::string flipped = token;
  flipped[dot + 5] = flipped[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(es256, flipped), "the token's signature is wrong");
}

TEST(JwtVerifier, TokenCannotChooseHowItIsChecked) {
  JwtVerifier rs256(JwtAlgorithm::rs256, rsa().public_pem);
  // The classic confusion: HS256 keyed with the public key, which everyone has.
  EXPECT_EQ(error_of(rs256, sign_jwt("HS256", rsa().public_pem, claims)), "the token is not signed with RS256");
  EXPECT_EQ(error_of(rs256, sign_jwt("ES256", ec().private_pem, claims)), "the token is not signed with RS256");
  auto unsigned_token = sign_jwt("none", "", claims);
  unsigned_token.resize(unsigned_token.rfind('.') + 1);
  EXPECT_EQ(error_of(rs256, unsigned_token), "the token is not signed with RS256");
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::hs256, "s"), unsigned_token), "the token is not signed with HS256");
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::hs256, "s"), sign_hs256(claims, "s", R"({"typ":"JWT"})")),
            "the token is not signed with HS256");
  EXPECT_EQ(error_of(JwtVerifier(JwtAlgorithm::hs256, "s"), sign_hs256(claims, "s", R"({"alg":"hs256"})")),
            "the token is not signed with HS256");
}

TEST(JwtVerifier, TimesWithLeeway) {
  JwtVerifier verifier(JwtAlgorithm::hs256, "s");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"exp": 1799999990})")), "the token has expired");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"exp": 1799999990})"), 10), "accepted");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"exp": 1799999990})"), 9), "the token has expired");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"nbf": 1800000010})")), "the token is not valid yet");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"nbf": 1800000010})"), 10), "accepted");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"exp": "tomorrow"})")),
            "the token's \"exp\" is not a time in seconds");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", "{}")), "accepted"); // Mercure tokens need no exp
}

TEST(JwtVerifier, MalformedTokens) {
  JwtVerifier verifier(JwtAlgorithm::hs256, "s");
  EXPECT_EQ(error_of(verifier, "a.b"), "the token is not a JWT (header.payload.signature)");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", "[1]")), "the token's payload is not a JSON object");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", R"({"x": ")" + std::string(16 * 1024, 'x') + "\"}")),
            "the token is longer than 16 KiB");
  EXPECT_EQ(error_of(verifier, sign_jwt("HS256", "s", "{}") + "!"), "the token's signature is not base64url");
}

TEST(JwtVerifier, KeyProblemsAreNamedWithoutTheKey) {
  EXPECT_EQ(key_error(JwtAlgorithm::hs256, ""), "the secret for HS256 is empty");
  EXPECT_EQ(key_error(JwtAlgorithm::rs256, "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n"),
            "the key for RS256 is not a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate");
  EXPECT_EQ(key_error(JwtAlgorithm::rs256, "secret"),
            "the key for RS256 is not a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate");
  EXPECT_EQ(key_error(JwtAlgorithm::rs256, rsa().private_pem),
            "the key for RS256 is a private key: give its public key (openssl pkey -pubout)");
  EXPECT_EQ(key_error(JwtAlgorithm::rs256, ec().public_pem), "the key for RS256 is not an RSA public key");
  EXPECT_EQ(key_error(JwtAlgorithm::rs256, es::test::make_rsa_key(1024).public_pem),
            "the RSA key for RS256 is shorter than 2048 bits");
  EXPECT_EQ(key_error(JwtAlgorithm::es256, rsa().public_pem), "the key for ES256 is not an EC public key");
  EXPECT_EQ(key_error(JwtAlgorithm::es256, es::test::make_ec_key("P-384").public_pem),
            "the EC key for ES256 is on curve secp384r1, not on prime256v1");
  EXPECT_EQ(key_error(JwtAlgorithm::es384, es::test::make_ec_key("P-384").public_pem), "accepted");
}
