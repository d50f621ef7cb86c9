#include "auth/jwt_verifier.hpp"

#include <array>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth/jwt.hpp"
#include "auth/jwt_parts.hpp"

namespace es::auth {
namespace {

// Far above any real token (a few hundred bytes, a few KiB with many topics), and it bounds
// the header and payload that are decoded and parsed before the signature is checked.
constexpr std::size_t max_token_size = 16 * 1024;

struct AlgorithmInfo {
  JwtAlgorithm algorithm;
  std::string_view name;
  const EVP_MD* (*digest)();
  const char* curve; // ES*: the group a key must be on (OpenSSL's name)
  std::size_t coordinate_size; // ES*: bytes of r and of s in the JWS signature
};

// In JwtAlgorithm's order: info() indexes it.
constexpr std::array<AlgorithmInfo, 9> algorithms{{
    {JwtAlgorithm::hs256, "HS256", EVP_sha256, nullptr, 0},
    {JwtAlgorithm::hs384, "HS384", EVP_sha384, nullptr, 0},
    {JwtAlgorithm::hs512, "HS512", EVP_sha512, nullptr, 0},
    {JwtAlgorithm::rs256, "RS256", EVP_sha256, nullptr, 0},
    {JwtAlgorithm::rs384, "RS384", EVP_sha384, nullptr, 0},
    {JwtAlgorithm::rs512, "RS512", EVP_sha512, nullptr, 0},
    {JwtAlgorithm::es256, "ES256", EVP_sha256, "prime256v1", 32},
    {JwtAlgorithm::es384, "ES384", EVP_sha384, "secp384r1", 48},
    {JwtAlgorithm::es512, "ES512", EVP_sha512, "secp521r1", 66},
}};

const AlgorithmInfo& info(JwtAlgorithm algorithm) { return algorithms[static_cast<std::size_t>(algorithm)]; }

bool is_hmac(JwtAlgorithm algorithm) { return info(algorithm).name[0] == 'H'; }

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

EVP_PKEY* read_public_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) throw std::bad_alloc();
  if (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) return key;
  BIO_reset(bio.get());
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  return cert ? X509_get_pubkey(cert.get()) : nullptr;
}

// Refuses a key that does not fit the algorithm: an RS* verifier given an EC key, or an ES256
// one given a P-384 key, would otherwise refuse every token with a misleading reason.
void check_key_fits(EVP_PKEY* key, const AlgorithmInfo& algorithm) {
  std::string name(algorithm.name);
  if (!algorithm.curve) {
    if (!EVP_PKEY_is_a(key, "RSA")) throw std::invalid_argument("the key for " + name + " is not an RSA public key");
    // RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
    if (EVP_PKEY_get_bits(key) < 2048)
      throw std::invalid_argument("the RSA key for " + name + " is shorter than 2048 bits");
    return;
  }
  char curve[64] = "";
  std::size_t length = 0;
  if (!EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_group_name(key, curve, sizeof curve, &length) != 1)
    throw std::invalid_argument("the key for " + name + " is not an EC public key");
  if (std::string_view(curve, length) != algorithm.curve)
    throw std::invalid_argument("the EC key for " + name + " is on curve " + std::string(curve, length) +
                                ", not on " + algorithm.curve);
}

// JWS (RFC 7518 §3.4) writes an ECDSA signature as r||s, each zero-padded to the curve's
// size; OpenSSL verifies the DER of ECDSA-Sig-Value. Empty when `raw` has the wrong size.
std::string ecdsa_der(std::string_view raw, std::size_t coordinate_size) {
  if (raw.size() != 2 * coordinate_size) return {};
  auto bytes = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(coordinate_size), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + coordinate_size, static_cast<int>(coordinate_size), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw std::bad_alloc();
  }
  unsigned char* der = nullptr;
  int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) throw std::bad_alloc();
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

} // namespace

std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) {
  for (const auto& algorithm : algorithms)
    if (algorithm.name == name) return algorithm.algorithm;
  return std::nullopt;
}

JwtVerifier::JwtVerifier(JwtAlgorithm algorithm, std::string key) : algorithm_(algorithm) {
  const auto& algo = info(algorithm);
  if (is_hmac(algorithm)) {
    if (key.empty()) throw std::invalid_argument("the secret for " + std::string(algo.name) + " is empty");
    secret_ = std::move(key);
    return;
  }
  public_key_.reset(read_public_key(key), EVP_PKEY_free);
  ERR_clear_error(); // what failed to read is reported here, not left for the next TLS call
  if (!public_key_) {
    if (key.find("PRIVATE KEY-----") != std::string::npos)
      throw std::invalid_argument("the key for " + std::string(algo.name) +
                                  " is a private key: give its public key (openssl pkey -pubout)");
    throw std::invalid_argument("the key for " + std::string(algo.name) +
                                " is not a PEM public key (-----BEGIN PUBLIC KEY-----) or certificate");
  }
  check_key_fits(public_key_.get(), algo);
}

bool JwtVerifier::signature_matches(std::string_view signing_input, std::string_view signature) const {
  const auto& algo = info(algorithm_);
  if (is_hmac(algorithm_)) return hmac_matches(algo.digest(), signing_input, secret_, signature);

  std::string der;
  if (algo.curve) {
    der = ecdsa_der(signature, algo.coordinate_size);
    if (der.empty()) return false;
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, algo.digest(), nullptr, public_key_.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL could not start checking an " + std::string(algo.name) + " signature");
  }
  bool valid = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  ERR_clear_error();
  return valid;
}

rapidjson::Document JwtVerifier::verify(std::string_view token, std::int64_t now_seconds,
                                        std::int64_t leeway_seconds) const {
  if (token.size() > max_token_size) throw TokenError("the token is longer than 16 KiB");
  auto parts = read_jwt_parts(token);
  const auto& algo = info(algorithm_);
  if (jwt_algorithm(parts) != algo.name) throw TokenError("the token is not signed with " + std::string(algo.name));
  // The signature is checked before anything in the payload is believed.
  if (!signature_matches(parts.signing_input, jwt_signature(parts))) throw TokenError("the token's signature is wrong");
  auto payload = jwt_payload(parts);
  check_jwt_times(payload, now_seconds, leeway_seconds);
  return payload;
}

} // namespace es::auth
