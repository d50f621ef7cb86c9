#include "auth/jwt.hpp"

#include <openssl/evp.h>

#include "auth/jwt_parts.hpp"

namespace es::auth {

std::string sign_hs256(std::string_view payload_json, std::string_view secret, std::string_view header_json) {
  std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac(EVP_sha256(), signing_input, secret));
}

rapidjson::Document verified_hs256_payload(std::string_view token, std::string_view secret) {
  auto parts = read_jwt_parts(token);
  if (jwt_algorithm(parts) != "HS256") throw TokenError("the token is not signed with HS256");

  // The signature is checked before anything in the payload is believed.
  if (!hmac_matches(EVP_sha256(), parts.signing_input, secret, jwt_signature(parts)))
    throw TokenError("the token's signature is wrong");
  return jwt_payload(parts);
}

Claims verify_hs256(std::string_view token, std::string_view secret, std::int64_t now, std::int64_t leeway) {
  auto payload = verified_hs256_payload(token, secret);
  Claims claims;
  auto sub = payload.FindMember("sub");
  if (sub == payload.MemberEnd() || !sub->value.IsString() || sub->value.GetStringLength() == 0)
    throw TokenError("the token has no \"sub\" (user id)");
  claims.subject.assign(sub->value.GetString(), sub->value.GetStringLength());
  // The user id goes into headers (GRIP's Grip-Set-Meta) and log lines.
  for (unsigned char c : claims.subject)
    if (c < 0x20 || c == 0x7f) throw TokenError("the token's \"sub\" (user id) has a control character");
  claims.expires = check_jwt_times(payload, now, leeway);
  if (auto channels = payload.FindMember("channels"); channels != payload.MemberEnd()) {
    if (!channels->value.IsArray()) throw TokenError("the token's \"channels\" is not a list of globs");
    claims.channel_globs.emplace();
    for (const auto& glob : channels->value.GetArray()) {
      if (!glob.IsString()) throw TokenError("the token's \"channels\" is not a list of globs");
      claims.channel_globs->emplace_back(glob.GetString(), glob.GetStringLength());
    }
  }
  return claims;
}

} // namespace es::auth
