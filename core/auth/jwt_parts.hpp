#pragma once
// The pieces of a compact JWT (header.payload.signature) that every verifier reads the same
// way, whatever signs it: the split into three base64url parts, the header's JSON, the
// payload read only once its signature is checked, the "exp"/"nbf" times, and the HMAC
// that both signs and checks HS* tokens. jwt.hpp
// (HS256 user tokens) and jwt_verifier.hpp (Mercure's HS*/RS*/ES*) share them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>
#include <rapidjson/document.h>

namespace es::auth {

struct JwtParts {
  rapidjson::Document header;       // a JSON object
  std::string_view signing_input;   // "header.payload" as sent: what the signature covers
  std::string_view encoded_payload;
  std::string_view encoded_signature;
};

// Splits `token` and reads its header. Throws TokenError when it is not three parts or the
// header is not a base64url JSON object.
JwtParts read_jwt_parts(std::string_view token);

// The header's "alg", or "" when it has none that is a string.
std::string_view jwt_algorithm(const JwtParts& parts);

// Decoded; throw TokenError when not base64url (or, for the payload, not a JSON object).
std::string jwt_signature(const JwtParts& parts);
rapidjson::Document jwt_payload(const JwtParts& parts);

std::string base64url_encode(std::string_view bytes);

// HMAC of `data` with `digest` (EVP_sha256() ...) keyed with `key`.
std::string hmac(const EVP_MD* digest, std::string_view data, std::string_view key);
// Whether `mac` is that HMAC, compared in constant time so that timing tells nothing of it.
bool hmac_matches(const EVP_MD* digest, std::string_view data, std::string_view key, std::string_view mac);

// A time claim of `payload` ("exp", "nbf"): seconds since the epoch, within +-10^12 (the
// years -29700 to 33658), so that adding a leeway or converting to a clock can never
// overflow. Nothing when absent; throws TokenError when it is not such a number.
std::optional<std::int64_t> jwt_time_claim(const rapidjson::Value& payload, const char* name);

// Checks "exp" and "nbf" (each optional) against `now_seconds`, `leeway_seconds` either way
// for clock skew, and returns "exp". Throws TokenError saying which is wrong.
std::optional<std::int64_t> check_jwt_times(const rapidjson::Document& payload, std::int64_t now_seconds,
                                            std::int64_t leeway_seconds);

} // namespace es::auth
