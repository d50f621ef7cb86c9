#pragma once
// Who is asking, and which channels they may read (docs/protocol.md §7).
//
// A user is named by an HS256 token in `Authorization: Bearer`, else a `token` query
// parameter (EventSource cannot set headers), else a cookie. No token: anonymous. A
// token that is present but does not verify is an error, never anonymous.
//
// Reading rules: a token with a "channels" claim may read exactly the channels its globs
// match; otherwise anyone may read a public channel and any authenticated user a
// private one (--private GLOB).
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "util/glob_set.hpp"
#include "util/url.hpp"

namespace es::auth {

struct User {
  std::string id; // empty: anonymous
  std::optional<GlobSet> channels;
  std::optional<std::int64_t> expires; // "exp": the token stops being valid then
  bool anonymous() const { return id.empty(); }
  // Named in a publish's skip_users (anonymous users never are).
  bool listed_in(const std::vector<std::string>& users) const {
    return !anonymous() && std::find(users.begin(), users.end(), id) != users.end();
  }
};

struct AccessSettings {
  std::string secret;        // empty: tokens are not accepted
  std::string cookie;        // cookie holding the token; empty: none
  std::vector<std::string> private_globs;
  std::chrono::seconds leeway{5};
};

class Access {
public:
  explicit Access(AccessSettings settings);

  // The user, or why their token was refused.
  std::variant<User, std::string> identify(std::string_view authorization, const QueryParams& query,
                                           std::string_view cookie_header) const;

  bool may_read(const User& user, std::string_view channel) const;

  // When a stream of `user` must end because the token expires (with the leeway).
  std::optional<std::chrono::system_clock::time_point> stream_deadline(const User& user) const;

private:
  AccessSettings settings_;
  GlobSet private_;
};

} // namespace es::auth
