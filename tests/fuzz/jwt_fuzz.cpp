// Fuzz target: a user token as a client sends it, checked against a fixed secret. The
// signature of a fuzzed token never verifies, so this covers what is read before it
// (the three parts, base64url, the header's JSON and "alg"); jwt_claims_fuzz covers
// what a correctly signed token says.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    es::auth::verify_hs256({reinterpret_cast<const char*>(data), size}, "fuzz-secret", 1'800'000'000, 5);
  } catch (const es::auth::TokenError&) {
  }
  return 0;
}
