#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <rapidjson/document.h>

#include "util/json_reader.hpp"

namespace es::auth {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view in) {
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(alphabet[(bits >> count) & 63]);
    }
  }
  if (count > 0) out.push_back(alphabet[(bits << (6 - count)) & 63]);
  return out;
}

std::string base64url_decode(std::string_view in, const char* part) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1); // padding, which some issuers add
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    const char* at = std::char_traits<char>::find(alphabet, 64, c);
    if (!at) throw TokenError(std::string("the token's ") + part + " is not base64url");
    bits = (bits << 6) | static_cast<std::uint32_t>(at - alphabet);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

std::string hmac_sha256(std::string_view data, std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &size);
  return {reinterpret_cast<const char*>(digest), size};
}

rapidjson::Document parse_object(const std::string& json, const char* part) {
  rapidjson::Document doc;
  if (auto problem = read_json(doc, json); !problem.empty())
    throw TokenError(std::string("the token's ") + part + " is " + problem);
  if (!doc.IsObject()) throw TokenError(std::string("the token's ") + part + " is not a JSON object");
  return doc;
}

// Seconds since the epoch, within +-10^12 (the years -29700 to 33658), so that adding a
// leeway or converting to a clock can never overflow.
std::optional<std::int64_t> time_claim(const rapidjson::Document& payload, const char* name) {
  auto it = payload.FindMember(name);
  if (it == payload.MemberEnd()) return std::nullopt;
  double value = it->value.IsNumber() ? it->value.GetDouble() : 1e300;
  if (!(value > -1e12 && value < 1e12))
    throw TokenError(std::string("the token's \"") + name + "\" is not a time in seconds");
  return static_cast<std::int64_t>(value);
}

} // namespace

std::string sign_hs256(std::string_view payload_json, std::string_view secret, std::string_view header_json) {
  std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac_sha256(signing_input, secret));
}

rapidjson::Document verified_hs256_payload(std::string_view token, std::string_view secret) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    throw TokenError("the token is not a JWT (header.payload.signature)");

  auto header = parse_object(base64url_decode(token.substr(0, first), "header"), "header");
  auto alg = header.FindMember("alg");
  if (alg == header.MemberEnd() || !alg->value.IsString() || std::string_view(alg->value.GetString()) != "HS256")
    throw TokenError("the token is not signed with HS256");

  // The signature is checked before anything in the payload is believed.
  std::string expected = hmac_sha256(token.substr(0, second), secret);
  std::string given = base64url_decode(token.substr(second + 1), "signature");
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0)
    throw TokenError("the token's signature is wrong");
  return parse_object(base64url_decode(token.substr(first + 1, second - first - 1), "payload"), "payload");
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
  claims.expires = time_claim(payload, "exp");
  if (claims.expires && now > *claims.expires + leeway) throw TokenError("the token has expired");
  if (auto nbf = time_claim(payload, "nbf"); nbf && now + leeway < *nbf) throw TokenError("the token is not valid yet");
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
