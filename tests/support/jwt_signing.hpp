#pragma once
// Tokens for the Mercure tests, signed here with OpenSSL directly (not with the server's
// code, so that the verifier is not checked against itself), and fresh keys to sign them with.
#include <string>
#include <string_view>

namespace es::test {

// A compact JWS of `payload_json` whose header says `alg` ("HS256" ... "ES512"). HS*: the
// key is the secret; RS*/ES*: a PEM private key. An `alg` the key cannot make (e.g.
// "none", or "HS256" keyed with a public key PEM as an HMAC secret) is signed as HS256 with
// the key's text, so tests can make the tokens an attacker would.
std::string sign_jwt(std::string_view alg, std::string_view private_key_pem_or_secret, std::string_view payload_json);

struct KeyPair {
  std::string private_pem, public_pem;
};
KeyPair make_rsa_key(int bits = 2048);
KeyPair make_ec_key(const char* curve); // OpenSSL's name: "P-256", "P-384", "P-521"
KeyPair make_ec_p256_key();

} // namespace es::test
