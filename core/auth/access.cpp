#include "auth/access.hpp"

#include "auth/bearer.hpp"
#include "auth/jwt.hpp"

namespace es::auth {

Access::Access(AccessSettings settings) : settings_(std::move(settings)), private_(settings_.private_globs) {}

std::variant<User, std::string> Access::identify(std::string_view authorization, const QueryParams& query,
                                                 std::string_view cookie_header) const {
  std::string token;
  if (auto credentials = bearer_credentials(authorization)) {
    token = std::string(*credentials);
  } else {
    for (const auto& [key, value] : query)
      if (key == "token" && !value.empty()) token = value;
    if (token.empty() && !settings_.cookie.empty())
      token = percent_decode(cookie_value(cookie_header, settings_.cookie));
  }
  if (token.empty()) return User{};
  if (settings_.secret.empty()) return std::string("this server does not accept tokens (it has no --auth-secret)");
  try {
    auto now = std::chrono::system_clock::now();
    auto claims = verify_hs256(token, settings_.secret, std::chrono::system_clock::to_time_t(now), settings_.leeway.count());
    // GRIP proxies know users without a token by this name (as django-eventstream does).
    if (claims.subject == "anonymous") return std::string("the user id \"anonymous\" is reserved for users without a token");
    User user{claims.subject, std::nullopt, std::nullopt};
    if (claims.channel_globs) user.channels.emplace(std::move(*claims.channel_globs));
    user.expires = claims.expires;
    return user;
  } catch (const TokenError& e) {
    return std::string(e.what());
  }
}

bool Access::may_read(const User& user, std::string_view channel) const {
  if (user.channels) return user.channels->matches(channel);
  return !private_.matches(channel) || !user.anonymous();
}

std::optional<std::chrono::system_clock::time_point> Access::stream_deadline(const User& user) const {
  // system_clock counts nanoseconds in 64 bits: past the year 2262 it would wrap, and a
  // token valid that long is as good as one that never expires.
  constexpr std::int64_t last_representable = 9'000'000'000;
  if (!user.expires || *user.expires + settings_.leeway.count() > last_representable) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*user.expires + settings_.leeway.count()));
}

} // namespace es::auth
