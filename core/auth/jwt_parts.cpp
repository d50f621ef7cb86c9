#include "auth/jwt_parts.hpp"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "auth/jwt.hpp"
#include "util/json_reader.hpp"

namespace es::auth {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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

rapidjson::Document parse_object(const std::string& json, const char* part) {
  rapidjson::Document doc; // returned: its values must live in its own allocator
  if (auto problem = read_json(doc, json); !problem.empty())
    throw TokenError(std::string("the token's ") + part + " is " + problem);
  if (!doc.IsObject()) throw TokenError(std::string("the token's ") + part + " is not a JSON object");
  return doc;
}

} // namespace

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

std::string hmac(const EVP_MD* digest, std::string_view data, std::string_view key) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(digest, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return {reinterpret_cast<const char*>(out), size};
}

bool hmac_matches(const EVP_MD* digest, std::string_view data, std::string_view key, std::string_view mac) {
  std::string expected = hmac(digest, data, key);
  return mac.size() == expected.size() && CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) == 0;
}

JwtParts read_jwt_parts(std::string_view token) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    throw TokenError("the token is not a JWT (header.payload.signature)");
  return {parse_object(base64url_decode(token.substr(0, first), "header"), "header"), token.substr(0, second),
          token.substr(first + 1, second - first - 1), token.substr(second + 1)};
}

std::string_view jwt_algorithm(const JwtParts& parts) {
  auto alg = parts.header.FindMember("alg");
  if (alg == parts.header.MemberEnd() || !alg->value.IsString()) return {};
  return {alg->value.GetString(), alg->value.GetStringLength()};
}

std::string jwt_signature(const JwtParts& parts) { return base64url_decode(parts.encoded_signature, "signature"); }

rapidjson::Document jwt_payload(const JwtParts& parts) {
  return parse_object(base64url_decode(parts.encoded_payload, "payload"), "payload");
}

std::optional<std::int64_t> jwt_time_claim(const rapidjson::Value& payload, const char* name) {
  auto it = payload.FindMember(name);
  if (it == payload.MemberEnd()) return std::nullopt;
  double value = it->value.IsNumber() ? it->value.GetDouble() : 1e300;
  if (!(value > -1e12 && value < 1e12))
    throw TokenError(std::string("the token's \"") + name + "\" is not a time in seconds");
  return static_cast<std::int64_t>(value);
}

std::optional<std::int64_t> check_jwt_times(const rapidjson::Document& payload, std::int64_t now, std::int64_t leeway) {
  auto expires = jwt_time_claim(payload, "exp");
  if (expires && now > *expires + leeway) throw TokenError("the token has expired");
  if (auto nbf = jwt_time_claim(payload, "nbf"); nbf && now + leeway < *nbf) throw TokenError("the token is not valid yet");
  return expires;
}

} // namespace es::auth
