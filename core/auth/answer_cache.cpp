#include "auth/answer_cache.hpp"

#include <openssl/evp.h>

#include <new>

namespace es::auth {

std::string digest(std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!EVP_Digest(text.data(), text.size(), out, &size, EVP_sha256(), nullptr))
    throw std::bad_alloc(); // OpenSSL's digests fail only when memory runs out
  return std::string(reinterpret_cast<const char*>(out), size);
}

} // namespace es::auth
