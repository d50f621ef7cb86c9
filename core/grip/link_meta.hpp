#pragma once
// `es-meta`, the signed part of the Grip-Link we give a proxy (docs/protocol.md §11): the channels
// and the user of the stream it holds, authorized when the link was made, so that the
// proxy's later requests for the link (recovery, paging) need no cookies or token. An
// HS256 JWT with the server's --secret, `{"iss": "es", "exp", "channels", "user"}` and
// `user_exp` when the user's token expires; the user is null when anonymous.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"

namespace es::grip {

struct LinkMeta {
  std::vector<std::string> channels;
  std::string user;                         // empty: anonymous
  std::optional<std::int64_t> user_expires; // the user's token's exp, carried to every later link
  std::int64_t expires = 0;                 // within an hour, and not after the token (with leeway)
};

std::string sign_link_meta(const LinkMeta& meta, std::string_view secret);

// The link outlived the user's token.
class UserTokenExpired : public auth::TokenError {
public:
  UserTokenExpired() : auth::TokenError("the user's token has expired") {}
};

// Throws UserTokenExpired, or auth::TokenError saying what else is wrong.
LinkMeta read_link_meta(std::string_view token, std::string_view secret, std::int64_t now_seconds);

} // namespace es::grip
