#pragma once
// Tokens signed by someone else's key, as Mercure publishers and subscribers carry them: one
// configured algorithm (HS256/384/512 with a shared secret, RS256/384/512 or ES256/384/512
// with a PEM public key or certificate), and only that one, so that a token can never pick
// how it is checked (no "none", no HS256 keyed with the RSA public key).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>
#include <rapidjson/document.h>

namespace es::auth {

enum class JwtAlgorithm { hs256, hs384, hs512, rs256, rs384, rs512, es256, es384, es512 };

// "HS256", ... (case as in JWS); nullopt for anything else.
std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name);

class JwtVerifier {
public:
  // `key`: the shared secret for HS*, a PEM public key (or certificate) for RS*/ES*.
  // Throws std::invalid_argument saying what is wrong with the key (never echoing it).
  JwtVerifier(JwtAlgorithm algorithm, std::string key);

  // Compact JWS: header alg must be exactly the configured one, signature valid (ES*: JWS
  // raw r||s), "exp" (if present) not past and "nbf" (if present) reached, each with
  // `leeway_seconds`. Returns the payload object. Throws TokenError (jwt.hpp) with a short
  // reason that never includes the token.
  rapidjson::Document verify(std::string_view token, std::int64_t now_seconds, std::int64_t leeway_seconds) const;

private:
  bool signature_matches(std::string_view signing_input, std::string_view signature) const;

  JwtAlgorithm algorithm_;
  std::string secret_;                    // HS*
  std::shared_ptr<EVP_PKEY> public_key_; // RS*, ES*; shared by copies, only ever read
};

} // namespace es::auth
