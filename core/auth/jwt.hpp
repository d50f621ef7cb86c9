#pragma once
// HS256 JSON Web Tokens (RFC 7519), the only kind eventstream accepts: the application
// that issues them and eventstream share one secret. Anything else (alg "none", RS256,
// a bad signature, a token past its exp or before its nbf) is refused with a reason.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace es::auth {

struct Claims {
  std::string subject;                                   // "sub": the user id
  std::optional<std::int64_t> expires;                   // "exp", seconds since the epoch
  std::optional<std::vector<std::string>> channel_globs; // "channels"
};

class TokenError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Checks that `token` is an HS256 JWT signed with `secret` and returns its payload, a
// JSON object whose claims are not checked. Throws TokenError saying what is wrong.
rapidjson::Document verified_hs256_payload(std::string_view token, std::string_view secret);

// A user token: checks signature, algorithm and times (with `leeway` either way for clock skew).
// Throws TokenError saying what is wrong.
Claims verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_seconds,
                    std::int64_t leeway_seconds = 30);

// For tests and tools: a token with this payload, signed with HMAC-SHA256 whatever the
// header says (so tests can also make tokens that claim another algorithm).
std::string sign_hs256(std::string_view payload_json, std::string_view secret,
                       std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})");

} // namespace es::auth
