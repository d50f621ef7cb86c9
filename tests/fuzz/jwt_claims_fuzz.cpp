// Fuzz target: the payload of a token that is correctly signed, so that the code which
// believes it is reached: a user token's claims (sub, exp, nbf, channels) as the server
// identifies a user and checks channels against the token's globs, and the claims of a
// GRIP link's es-meta.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/access.hpp"
#include "auth/jwt.hpp"
#include "grip/link_meta.hpp"

namespace {
constexpr std::string_view secret = "fuzz-secret";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const es::auth::Access access(es::auth::AccessSettings{std::string(secret), "", {"_*"}});
  std::string token = es::auth::sign_hs256({reinterpret_cast<const char*>(data), size}, secret);

  auto identified = access.identify("Bearer " + token, {}, "");
  if (auto* user = std::get_if<es::auth::User>(&identified)) {
    for (std::string_view channel : {"test", "_private", "room-1", ""}) access.may_read(*user, channel);
    access.stream_deadline(*user);
  }
  try {
    es::grip::read_link_meta(token, secret, 1'800'000'000);
  } catch (const es::auth::TokenError&) {
  }
  return 0;
}
