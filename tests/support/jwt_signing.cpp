#include "support/jwt_signing.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace es::test {
namespace {

std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

const EVP_MD* digest_of(std::string_view alg) {
  std::string_view bits = alg.size() > 2 ? alg.substr(2) : "";
  if (bits == "384") return EVP_sha384();
  if (bits == "512") return EVP_sha512();
  return EVP_sha256();
}

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string pem_of(EVP_PKEY* key, bool with_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  int written = with_private ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                             : PEM_write_bio_PUBKEY(bio.get(), key);
  if (written != 1) throw std::runtime_error("could not write a PEM key");
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

KeyPair pair_of(EVP_PKEY* generated) {
  if (!generated) throw std::runtime_error("could not generate a key");
  Key key(generated, EVP_PKEY_free);
  return {pem_of(key.get(), true), pem_of(key.get(), false)};
}

std::string asymmetric_signature(std::string_view alg, std::string_view pem, std::string_view input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) throw std::runtime_error("sign_jwt: the key is not a PEM private key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t size = 0;
  auto data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSignInit(ctx.get(), nullptr, digest_of(alg), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size, data, input.size()) != 1)
    throw std::runtime_error("sign_jwt: could not sign");
  std::string der(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &size, data, input.size()) != 1)
    throw std::runtime_error("sign_jwt: could not sign");
  der.resize(size);
  if (alg[0] == 'R') return der;

  // ES*: DER ECDSA-Sig-Value to JWS's r||s, each as wide as the curve's order.
  auto coordinate = static_cast<std::size_t>((EVP_PKEY_get_bits(key.get()) + 7) / 8);
  auto der_bytes = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &der_bytes, static_cast<long>(der.size())), ECDSA_SIG_free);
  std::string raw(2 * coordinate, '\0');
  auto out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, static_cast<int>(coordinate));
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + coordinate, static_cast<int>(coordinate));
  return raw;
}

} // namespace

std::string sign_jwt(std::string_view alg, std::string_view key, std::string_view payload_json) {
  std::string input = base64url(R"({"alg":")" + std::string(alg) + R"(","typ":"JWT"})") + "." + base64url(payload_json);
  std::string signature;
  if (!alg.empty() && (alg[0] == 'R' || alg[0] == 'E')) {
    signature = asymmetric_signature(alg, key, input);
  } else {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(digest_of(alg), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &size);
    signature.assign(reinterpret_cast<const char*>(mac), size);
  }
  return input + "." + base64url(signature);
}

KeyPair make_rsa_key(int bits) { return pair_of(EVP_RSA_gen(static_cast<unsigned>(bits))); }

KeyPair make_ec_key(const char* curve) { return pair_of(EVP_EC_gen(curve)); }

KeyPair make_ec_p256_key() { return make_ec_key("P-256"); }

} // namespace es::test
